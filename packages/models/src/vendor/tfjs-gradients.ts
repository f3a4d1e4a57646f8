// tfjs-core registers its op gradients only when this module runs (the @tensorflow/tfjs bundle does it
// for its users). tfjs-core ships it as ESM with extension-less imports, which bundlers resolve but
// Node and Deno do not, so the build replaces dist/vendor/tfjs-gradients.js with a self-contained bundle
// of it (scripts/bundle-tfjs-gradients.mjs), as @tensorflow/tfjs does. tfjs keeps its registries and
// engine on a global, so the bundled copy registers into the same tfjs-core the packages import.
import '@tensorflow/tfjs-core/dist/register_all_gradients.js';
