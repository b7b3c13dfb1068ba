// Analytic floating-point operation counts of one training step (forward and backward pass), for
// GFLOP/s. A multiply-add counts 2. Only matrix products and convolutions are counted; element-wise
// work (activations, biases, the loss, pooling, the SGD update) is a few percent and left out,
// as are the extra forward passes some loops make (trainSampled's minibatch accuracy).
//
//   dense  in -> out, batch B:  forward 2·B·in·out, weight gradient 2·B·in·out, input gradient
//                              2·B·in·out, the last omitted for a layer fed by the data: 6 (or 4)·B·in·out
//   dA, tied W (d x h):         encode 2·B·d·h, decode 2·B·h·d, hidden delta 2·B·d·h, and the
//                              two halves of dW 2·B·d·h each: 10·B·d·h
//   conv, output Ho x Wo x C, kernel kh x kw x Cin:  forward 2·B·Ho·Wo·C·kh·kw·Cin, the same again
//                              for the filter gradient and for the input gradient (omitted for
//                              the first convolution, whose input is the data)

/** FLOPs of a dense layer's training step. */
export function denseFlops(batch, inputs, outputs, { needsInputGradient = true } = {}) {
  return (needsInputGradient ? 6 : 4) * batch * inputs * outputs;
}

/** FLOPs of a tied-weight dA's training step (hand-written gradients, or autodiff's equivalent). */
export function autoencoderFlops(batch, visible, hidden) {
  return 10 * batch * visible * hidden;
}

/** FLOPs of a forward pass through dense layers only (an SdA layer's input during pretraining). */
export function forwardFlops(batch, sizes) {
  let total = 0;
  for (let index = 0; index + 1 < sizes.length; index++) total += 2 * batch * sizes[index] * sizes[index + 1];
  return total;
}

/**
 * FLOPs of a convolution layer's training step ('valid' or 'same', any stride).
 * `output` is `[height, width, filters]`, `kernel` is `[height, width, inChannels]`.
 */
export function convolutionFlops(batch, output, kernel, { needsInputGradient = true } = {}) {
  const forward = 2 * batch * output[0] * output[1] * output[2] * kernel[0] * kernel[1] * kernel[2];
  return (needsInputGradient ? 3 : 2) * forward;
}
