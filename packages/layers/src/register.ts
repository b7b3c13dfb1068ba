// The one module of @sdae/layers with an import-time side effect: importing @sdae/backend
// registers the cpu and wasm backends, every gradient the models differentiate and the training
// kernels tfjs lacks, so a model built from this package can always be trained.
import '@sdae/backend';
