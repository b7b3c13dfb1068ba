// The one module of @sdae/backend with import-time side effects: it registers the cpu and wasm
// backends, every tfjs gradient and chained op (which no prebuilt tfjs-core bundle does), and
// the training kernels tfjs lacks. Everything else in the package is side-effect free.
import '@tensorflow/tfjs-backend-cpu';
import '@tensorflow/tfjs-backend-wasm';
import '@tensorflow/tfjs-core/dist/register_all_gradients';
import '@tensorflow/tfjs-core/dist/public/chained_ops/register_all_chained_ops';
import { registerTrainingKernels } from './kernels/training-kernels';

registerTrainingKernels();
