// The standard TensorFlow.js layers format (what `tf.loadLayersModel` reads and Keras' converter
// writes), both ways: `write.ts` turns sdae models into Keras-style Sequential topologies with their
// weights; `read-layers.ts` reads and checks such topologies (sdae's exports or Keras-converted
// models of the same architectures) and `read.ts` rebuilds sdae models from them. The topology is
// plain JSON, so @tensorflow/tfjs-layers is not needed.
export type { LayersModelPart, LayersModelArtifacts } from './shared';
export { layersModelArtifacts } from './write';
export { modelFromLayersArtifacts } from './read';
