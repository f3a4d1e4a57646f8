// tfjs-core registers its op gradients only when this module is imported (the @tensorflow/tfjs bundle
// does it for its users); training with tfjs-core alone needs it. A side effect, listed in package.json.
import '@tensorflow/tfjs-core/dist/register_all_gradients.js';
