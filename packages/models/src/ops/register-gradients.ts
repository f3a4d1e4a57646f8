// Op gradients are needed for training with tfjs-core alone; a side effect, listed in package.json.
import '../vendor/tfjs-gradients.js';
