// @sdae/backend/webgpu: importing it registers tfjs's WebGPU backend (@tensorflow/tfjs-backend-webgpu,
// an optional peer), so `selectBackend` can choose 'webgpu'. Browser apps that do not import it
// leave WebGPU out of their bundle; Node never needs it. On a software adapter the backend refuses
// synchronous reads, which would lose the page's WebGPU device (see ./webgpu-reads).
import '@tensorflow/tfjs-backend-webgpu';
import { guardWebgpuSynchronousReads } from './webgpu-reads';

guardWebgpuSynchronousReads();

export { WebGPUBackend, webgpu_util } from '@tensorflow/tfjs-backend-webgpu';
export { SynchronousReadError } from './errors';
