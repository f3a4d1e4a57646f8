// The recipes the page offers (the CLI's presets) and their form fields. Pure: tested against @medxfer/train.
import type { TrainConfig } from './protocol.js';

/**
 * The form fields of each recipe: its epoch counts (summed for the progress bar), learning rates, and the batch
 * size the form switches to when the recipe is chosen (the preset's own; the page does not load @medxfer/train).
 */
export const PRESET_FIELDS: Record<TrainConfig['preset'], { epochs: string[]; rates: string[]; batch: number }> = {
  notebook: { epochs: ['epochs-head', 'epochs-full'], rates: ['lr-head', 'lr-full'], batch: 32 },
  'fine-tune': { epochs: ['freeze-epochs', 'epochs'], rates: ['base-lr'], batch: 32 },
  scratch: { epochs: ['scratch-epochs'], rates: ['scratch-lr'], batch: 128 },
  'medmnist-v2': { epochs: ['v2-epochs'], rates: ['v2-lr'], batch: 128 },
};

