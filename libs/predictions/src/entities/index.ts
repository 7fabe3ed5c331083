export * from './usage-event.entity';
export * from './model-serving-settings.entity';
export * from './prediction-log.entity';
