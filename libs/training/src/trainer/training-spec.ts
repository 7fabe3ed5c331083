/** What a training job trains: the request as resolved by the service (defaults filled in, seed drawn). */

export type TrainingTask = 'classification' | 'regression';

export const ACTIVATIONS = ['relu', 'tanh', 'sigmoid', 'elu', 'selu', 'softplus', 'linear'] as const;
export type Activation = (typeof ACTIVATIONS)[number];

export interface Architecture {
  /** Units of each hidden dense layer, input side first. */
  hiddenLayers: number[];
  activation: Activation;
  /** Dropout rate after each hidden layer; 0 = none. */
  dropout: number;
}

export const OPTIMIZERS = ['adam', 'sgd', 'rmsprop'] as const;
export type OptimizerName = (typeof OPTIMIZERS)[number];

/** Stop once the validation loss has not improved by more than `minDelta` for `patience` epochs; the best epoch's weights are kept. */
export interface EarlyStopping {
  patience: number;
  minDelta: number;
}

/** `balanced`: n_samples / (n_classes * count) on the training split (scikit-learn's); a map: weight by class name, 1 for the others. */
export type ClassWeight = 'balanced' | Record<string, number>;

export interface Hyperparameters {
  epochs: number;
  batchSize: number;
  learningRate: number;
  /** Share of the rows held out to validate (and to measure the final metrics on). */
  validationSplit: number;
  /** Seeds the split, the per-epoch shuffles, the initialisers and the dropout masks. */
  seed: number;
  /** Absent in jobs recorded before optimizers could be chosen: adam. */
  optimizer?: OptimizerName;
  earlyStopping?: EarlyStopping;
  /** Classification only. */
  classWeight?: ClassWeight;
  /** Numeric features with missing values in the training split get a 0/1 "was missing" input (default false). */
  missingIndicator?: boolean;
  /** Vocabulary entries kept per category feature (TRAINING_MAX_CATEGORIES at most; the rest share one out-of-vocabulary slot). */
  maxCategories?: number;
  /** Category features with a longer vocabulary are embedded, not one-hot encoded (TRAINING_EMBEDDING_ABOVE). */
  embeddingAbove?: number;
}

/** Why a run that was not stopped ended: its validation loss stopped improving, or it ran every epoch. */
export const COMPLETION_REASONS = ['early-stopping', 'epochs'] as const;
export type CompletionReason = (typeof COMPLETION_REASONS)[number];

export interface TrainingSpec {
  task: TrainingTask;
  features: string[];
  target: string;
  architecture: Architecture;
  hyperparameters: Hyperparameters;
}

/** One epoch's figures, as recorded in the job's history and sent as an SSE `progress` event. */
export interface EpochRecord {
  epoch: number;
  loss: number;
  valLoss: number;
  accuracy?: number;
  valAccuracy?: number;
  mae?: number;
  valMae?: number;
  durationMs: number;
}

export const DEFAULTS = {
  activation: 'relu' as Activation,
  dropout: 0,
  batchSize: 32,
  learningRate: 0.01,
  validationSplit: 0.2,
  optimizer: 'adam' as OptimizerName,
  minDelta: 0,
};
