// @sdae/backend/webgpu: importing it registers tfjs's WebGPU backend (@tensorflow/tfjs-backend-webgpu,
// an optional peer), so `selectBackend` can choose 'webgpu'. Browser apps that do not import it
// leave WebGPU out of their bundle; Node never needs it.
import '@tensorflow/tfjs-backend-webgpu';

export { WebGPUBackend, webgpu_util } from '@tensorflow/tfjs-backend-webgpu';
