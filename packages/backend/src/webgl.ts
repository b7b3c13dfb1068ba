// @sdae/backend/webgl: importing it registers tfjs's WebGL backend (@tensorflow/tfjs-backend-webgl,
// an optional peer), so `selectBackend` can choose 'webgl'. Browser apps that do not import it
// leave WebGL out of their bundle; Node never needs it.
import '@tensorflow/tfjs-backend-webgl';

export { MathBackendWebGL, webgl, version_webgl } from '@tensorflow/tfjs-backend-webgl';
