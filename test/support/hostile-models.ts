export * from '../../libs/inference/src/testing/hostile-models';
