import type { ArchitectureDto, CreateTrainingJobDto, DatasetColumnDto, DatasetDto, HyperparametersDto } from '@modelgate/sdk';
import { useMutation, useQuery, useQueryClient } from '@tanstack/react-query';
import { type ReactNode, useId, useMemo, useState } from 'react';
import {
  Button,
  Checkbox,
  CheckboxGroup,
  ComboBox,
  FieldError,
  Form,
  Input,
  Label,
  ListBox,
  ListBoxItem,
  Popover,
  Radio,
  RadioGroup,
  Text,
  TextField,
} from 'react-aria-components';
import { Link, useNavigate, useSearchParams } from 'react-router';
import { useSession } from '../../session';
import { Empty, ErrorNotice, Loading, Picker, problemMessage } from '../../ui';
import { useDatasets } from './DatasetsTable';
import { fieldErrors, keys, parseLayers } from './jobs';
import './training.css';

type Task = CreateTrainingJobDto['task'];
type Activation = NonNullable<ArchitectureDto['activation']>;
type Optimizer = NonNullable<HyperparametersDto['optimizer']>;

/** The API's model name rule (libs/models/src/domain/model-name.ts). */
const MODEL_NAME = /^[a-z0-9][a-z0-9._-]{1,62}$/;
const ACTIVATIONS: Activation[] = ['relu', 'tanh', 'sigmoid', 'elu', 'selu', 'softplus', 'linear'];
const OPTIMIZERS: { id: Optimizer; label: string; detail: string }[] = [
  { id: 'adam', label: 'adam', detail: 'Adam (the default)' },
  { id: 'sgd', label: 'sgd', detail: 'SGD with momentum 0.9' },
  { id: 'rmsprop', label: 'rmsprop', detail: 'RMSprop' },
];
/** The most values a text or boolean feature may keep, whatever the server's TRAINING_MAX_CATEGORIES (its configurable bound). */
const MAX_CATEGORIES = 10_000;
/** A text column's distinct values are counted up to this (the count then means "this many or more"). */
const DISTINCT_COUNTED = 1_000;
/** The form's field names, which are also where the server's `errors[].field` paths end. */
const FIELDS = [
  'modelName',
  'datasetId',
  'task',
  'target',
  'features',
  'hiddenLayers',
  'activation',
  'dropout',
  'epochs',
  'batchSize',
  'learningRate',
  'validationSplit',
  'seed',
  'optimizer',
  'patience',
  'minDelta',
  'classWeight',
  'missingIndicator',
  'maxCategories',
] as const;
type Field = (typeof FIELDS)[number];

/** The target a dataset suggests: its last column (where tables usually keep the label). */
function defaultTarget(d: DatasetDto): string {
  return d.columns.at(-1)?.name ?? '';
}

function taskFor(d: DatasetDto, target: string): Task {
  return d.columns.find((c) => c.name === target)?.type === 'number' ? 'regression' : 'classification';
}

/** The features a dataset suggests: every column but the target (text and boolean ones are encoded as categories). */
function defaultFeatures(d: DatasetDto, target: string): string[] {
  return d.columns.filter((c) => c.name !== target).map((c) => c.name);
}

/** What the features checklist says about a column beyond its type: its empty cells, and a text column's distinct values. */
function columnFacts(c: DatasetColumnDto): string[] {
  const facts: string[] = [];
  if (c.missing > 0) facts.push(`${c.missing.toLocaleString('en-US')} missing`);
  if (c.type === 'string' && c.distinct !== undefined) {
    facts.push(
      c.distinct >= DISTINCT_COUNTED
        ? `${DISTINCT_COUNTED.toLocaleString('en-US')}+ values`
        : `${c.distinct.toLocaleString('en-US')} values`,
    );
  }
  return facts;
}

/** A number field's check: empty is allowed when optional (the server's default applies). */
function numberCheck(text: string, { integer, min, max, optional }: { integer?: boolean; min: number; max?: number; optional?: boolean }) {
  if (text.trim() === '') return optional ? null : 'Required.';
  const n = Number(text);
  if (!Number.isFinite(n)) return 'Enter a number.';
  if (integer && !Number.isInteger(n)) return 'Enter a whole number.';
  if (max === undefined) return n < min ? `Enter a value of at least ${min}.` : null;
  if (n < min || n > max) return `Enter a value from ${min} to ${max}.`;
  return null;
}

function optionalNumber(text: string): number | undefined {
  return text.trim() === '' ? undefined : Number(text);
}

export function NewJobPage() {
  const { client } = useSession();
  const queries = useQueryClient();
  const navigate = useNavigate();
  const [params] = useSearchParams();
  const datasets = useDatasets();
  const models = useQuery({
    queryKey: ['models', { limit: 100 }],
    queryFn: () => client.models.list({ limit: 100 }),
  });

  const [modelName, setModelName] = useState('');
  const [datasetId, setDatasetId] = useState<string | null>(params.get('dataset'));
  const [task, setTask] = useState<Task>('classification');
  const [target, setTarget] = useState('');
  const [features, setFeatures] = useState<string[]>([]);
  const [hiddenLayers, setHiddenLayers] = useState('16, 8');
  const [activation, setActivation] = useState<Activation>('relu');
  const [dropout, setDropout] = useState('');
  const [epochs, setEpochs] = useState('30');
  const [batchSize, setBatchSize] = useState('32');
  const [learningRate, setLearningRate] = useState('0.01');
  const [validationSplit, setValidationSplit] = useState('0.2');
  const [seed, setSeed] = useState('');
  const [optimizer, setOptimizer] = useState<Optimizer>('adam');
  const [earlyStopping, setEarlyStopping] = useState(false);
  const [patience, setPatience] = useState('5');
  const [minDelta, setMinDelta] = useState('');
  const [classWeight, setClassWeight] = useState<'none' | 'balanced'>('none');
  const [missingIndicator, setMissingIndicator] = useState(false);
  const [maxCategories, setMaxCategories] = useState('');
  const missingIndicatorHint = useId();

  const dataset = datasets.data?.items.find((d) => d.id === datasetId);
  // A dataset chosen (or given in the address): suggest its target, the task that fits it, and every other column as a feature.
  const [configuredFor, setConfiguredFor] = useState<string | null>(null);
  if (dataset && configuredFor !== dataset.id) {
    const t = defaultTarget(dataset);
    setConfiguredFor(dataset.id);
    setTarget(t);
    setTask(taskFor(dataset, t));
    setFeatures(defaultFeatures(dataset, t));
  }

  const create = useMutation({
    mutationFn: (body: CreateTrainingJobDto) => client.trainingJobs.create(body),
    onSuccess: async (job) => {
      queries.setQueryData(keys.job(job.id), job);
      await queries.invalidateQueries({ queryKey: keys.jobs });
      navigate(`/training/jobs/${job.id}`);
    },
  });

  // The chosen features as columns, and the controls that apply to them.
  const chosen = (dataset?.columns ?? []).filter((c) => c.name !== target && features.includes(c.name));
  const withMissing = chosen.filter((c) => c.type === 'number' && c.missing > 0);
  const categorical = chosen.some((c) => c.type !== 'number');
  const hidden: Field[] = [
    ...(earlyStopping ? [] : (['patience', 'minDelta'] as const)),
    ...(task === 'classification' ? [] : (['classWeight'] as const)),
    ...(categorical ? [] : (['maxCategories'] as const)),
  ];
  // A server error about a control the form does not show now goes to the notice rather than nowhere. Kept as one
  // object per answer: the Form's fields show its errors again whenever it is a new object, even after they were edited.
  const hiddenKey = hidden.join(' ');
  const server = useMemo(
    () =>
      fieldErrors(
        create.error,
        FIELDS.filter((f) => !hiddenKey.split(' ').includes(f)),
      ),
    [create.error, hiddenKey],
  );

  const submit = () => {
    const hyperparameters: HyperparametersDto = {
      epochs: Number(epochs),
      batchSize: optionalNumber(batchSize),
      learningRate: optionalNumber(learningRate),
      validationSplit: optionalNumber(validationSplit),
      seed: optionalNumber(seed),
      optimizer,
      earlyStopping: earlyStopping ? { patience: Number(patience), minDelta: optionalNumber(minDelta) } : undefined,
      classWeight: task === 'classification' && classWeight === 'balanced' ? 'balanced' : undefined,
      missingIndicator: missingIndicator || undefined,
      maxCategories: categorical ? optionalNumber(maxCategories) : undefined,
    };
    const architecture: ArchitectureDto = { hiddenLayers: parseLayers(hiddenLayers) ?? [], activation, dropout: optionalNumber(dropout) };
    create.mutate({
      modelName: modelName.trim(),
      datasetId: datasetId ?? '',
      task,
      // In the dataset's column order, which is the model's input order.
      features: (dataset?.columns ?? []).map((c) => c.name).filter((n) => features.includes(n)),
      target,
      architecture: JSON.parse(JSON.stringify(architecture)) as ArchitectureDto,
      hyperparameters: JSON.parse(JSON.stringify(hyperparameters)) as HyperparametersDto,
    });
  };

  const head = (
    <>
      <p className="crumbs">
        <Link to="/training">Training</Link> / new job
      </p>
      <h1 id="page-title">New training job</h1>
    </>
  );
  if (datasets.isPending) return <Loading label="Loading your datasets" />;
  if (datasets.isError) {
    return (
      <section aria-labelledby="page-title">
        {head}
        <ErrorNotice error={datasets.error} title="Could not load the datasets" />
      </section>
    );
  }
  if (datasets.data.items.length === 0) {
    return (
      <section aria-labelledby="page-title">
        {head}
        <Empty>
          <p>
            There is no dataset to train on yet. <Link to="/training">Upload one first</Link>.
          </p>
        </Empty>
      </section>
    );
  }

  const targetType = dataset?.columns.find((c) => c.name === target)?.type;

  return (
    <section aria-labelledby="page-title">
      {head}
      <p className="muted">
        A dense network is trained on the dataset; when it succeeds, it is registered as a new version of the model (created if missing) in
        stage <em>staging</em>.
      </p>
      {create.isError && (
        <div className="notice notice-error" role="alert">
          <strong>The job was not started</strong>
          <p>{problemMessage(create.error)}</p>
          {server.other.length > 0 && (
            <ul>
              {server.other.map((m) => (
                <li key={m}>{m}</li>
              ))}
            </ul>
          )}
        </div>
      )}
      <Form
        className="job-form"
        validationErrors={server.byField}
        onSubmit={(e) => {
          e.preventDefault();
          submit();
        }}
      >
        <fieldset>
          <legend>Model and data</legend>
          <ComboBox
            className="field"
            name="modelName"
            allowsCustomValue
            menuTrigger="focus"
            isRequired
            inputValue={modelName}
            onInputChange={setModelName}
            validate={({ inputValue: v }) =>
              v && !MODEL_NAME.test(v.trim()) ? 'Lower-case letters, digits, ".", "_" and "-"; 2 to 63 characters.' : null
            }
          >
            <Label>Model</Label>
            <div className="combo">
              <Input className="combo-input" placeholder="an existing model, or a new name" />
              <Button className="combo-button" aria-label="Show the models">
                ▾
              </Button>
            </div>
            <Text slot="description" className="hint">
              A new version of this model is registered; a new name creates the model.
            </Text>
            <FieldError />
            <Popover className="picker-popover">
              <ListBox className="picker-list" items={(models.data?.items ?? []).map((m) => ({ id: m.name, name: m.name, task: m.task }))}>
                {(m) => (
                  <ListBoxItem className="picker-item" id={m.id} textValue={m.name}>
                    <span>{m.name}</span>
                    {m.task && <span className="muted small">{m.task}</span>}
                  </ListBoxItem>
                )}
              </ListBox>
            </Popover>
          </ComboBox>

          <Picker
            label="Dataset"
            isRequired
            name="datasetId"
            value={datasetId}
            onChange={(k) => setDatasetId(k)}
            items={datasets.data.items.map((d) => ({ id: d.id, label: d.name, detail: `${d.rows} rows` }))}
          />

          {dataset && (
            <>
              <Picker
                isRequired
                label="Target"
                name="target"
                value={target || null}
                onChange={(t) => {
                  if (!t) return;
                  setTarget(t);
                  setFeatures((f) => f.filter((n) => n !== t));
                  if (dataset.columns.find((c) => c.name === t)?.type !== 'number') setTask('classification');
                }}
                items={dataset.columns.map((c) => ({ id: c.name, label: c.name, detail: c.type }))}
                description="The column to predict."
                validate={() =>
                  task === 'regression' && targetType !== undefined && targetType !== 'number'
                    ? `Regression needs a numeric target; ${target} is a ${targetType} column.`
                    : null
                }
              />

              <RadioGroup className="field" name="task" value={task} onChange={(v) => setTask(v as Task)} orientation="horizontal">
                <Label>Task</Label>
                <div className="radios">
                  <Radio className="radio" value="classification">
                    <span className="radio-dot" aria-hidden="true" /> Classification
                  </Radio>
                  <Radio className="radio" value="regression">
                    <span className="radio-dot" aria-hidden="true" /> Regression
                  </Radio>
                </div>
                <FieldError />
              </RadioGroup>

              <CheckboxGroup
                className="field"
                name="features"
                value={features}
                onChange={setFeatures}
                validate={(v) => (v.length === 0 ? 'Choose at least one feature.' : null)}
              >
                <Label>Features</Label>
                <Text slot="description" className="hint">
                  The model&apos;s inputs, in the dataset&apos;s column order; every column but the target is chosen to start with. Text and
                  boolean columns are encoded as categories; empty cells are filled in (median, or a &apos;missing&apos; category).
                </Text>
                <div className="checks">
                  {dataset.columns.map((c) => (
                    <Checkbox key={c.name} className="check" value={c.name} isDisabled={c.name === target}>
                      <span className="check-box" aria-hidden="true" />
                      <span>
                        {c.name} <span className="type">{c.type}</span>
                        {columnFacts(c).map((f) => (
                          <span key={f} className="muted small">
                            {' '}
                            · {f}
                          </span>
                        ))}
                        {c.name === target && <span className="muted small"> (the target)</span>}
                      </span>
                    </Checkbox>
                  ))}
                </div>
                <FieldError />
              </CheckboxGroup>
            </>
          )}
        </fieldset>

        <fieldset>
          <legend>Network</legend>
          <div className="field-row">
            <NumberText
              label="Hidden layers"
              name="hiddenLayers"
              value={hiddenLayers}
              onChange={setHiddenLayers}
              description="Units per dense layer, e.g. 16, 8 (empty: none)."
              validate={(v) => (parseLayers(v) ? null : 'Positive whole numbers separated by commas, e.g. 16, 8.')}
              inputMode="text"
            />
            <Picker
              isRequired
              label="Activation"
              name="activation"
              value={activation}
              onChange={(a) => a && setActivation(a as Activation)}
              items={ACTIVATIONS.map((a) => ({ id: a, label: a }))}
            />
            <NumberText
              label="Dropout"
              name="dropout"
              value={dropout}
              onChange={setDropout}
              description="0 to 0.9 after each hidden layer (empty: none)."
              validate={(v) => numberCheck(v, { min: 0, max: 0.9, optional: true })}
            />
          </div>
        </fieldset>

        <fieldset>
          <legend>Training</legend>
          <div className="field-row">
            <NumberText
              label="Epochs"
              name="epochs"
              value={epochs}
              onChange={setEpochs}
              isRequired
              validate={(v) => numberCheck(v, { integer: true, min: 1, max: 100_000 })}
            />
            <NumberText
              label="Batch size"
              name="batchSize"
              value={batchSize}
              onChange={setBatchSize}
              validate={(v) => numberCheck(v, { integer: true, min: 1, max: 1_000_000, optional: true })}
            />
            <NumberText
              label="Learning rate"
              name="learningRate"
              value={learningRate}
              onChange={setLearningRate}
              validate={(v) => numberCheck(v, { min: 1e-7, max: 10, optional: true })}
            />
            <NumberText
              label="Validation split"
              name="validationSplit"
              value={validationSplit}
              onChange={setValidationSplit}
              description="Share of rows held out; the final metrics are measured on it."
              validate={(v) => numberCheck(v, { min: 0.01, max: 0.9, optional: true })}
            />
            <NumberText
              label="Seed"
              name="seed"
              value={seed}
              onChange={setSeed}
              description="Makes the run reproducible (empty: drawn at random, and recorded)."
              validate={(v) => numberCheck(v, { integer: true, min: 0, max: 2_147_483_647, optional: true })}
            />
          </div>
        </fieldset>

        <fieldset>
          <legend>Training controls</legend>
          <div className="field-row">
            <Picker
              isRequired
              label="Optimizer"
              name="optimizer"
              value={optimizer}
              onChange={(o) => o && setOptimizer(o as Optimizer)}
              items={OPTIMIZERS}
              description={OPTIMIZERS.find((o) => o.id === optimizer)?.detail}
            />
            {task === 'classification' && (
              <RadioGroup
                className="field"
                name="classWeight"
                value={classWeight}
                onChange={(v) => setClassWeight(v as 'none' | 'balanced')}
                orientation="horizontal"
              >
                <Label>Class weights</Label>
                <div className="radios">
                  <Radio className="radio" value="none">
                    <span className="radio-dot" aria-hidden="true" /> None
                  </Radio>
                  <Radio className="radio" value="balanced">
                    <span className="radio-dot" aria-hidden="true" /> Balanced
                  </Radio>
                </div>
                <Text slot="description" className="hint">
                  Balanced: rare classes weigh more in the loss, in inverse proportion to their counts.
                </Text>
                <FieldError />
              </RadioGroup>
            )}
            {categorical && (
              <NumberText
                label="Max categories"
                name="maxCategories"
                value={maxCategories}
                onChange={setMaxCategories}
                description="Values kept per text or boolean feature, most frequent first; the rest share one slot (empty: the server's limit)."
                validate={(v) => numberCheck(v, { integer: true, min: 1, max: MAX_CATEGORIES, optional: true })}
              />
            )}
          </div>

          <div className="field">
            <Checkbox className="check" name="earlyStopping" isSelected={earlyStopping} onChange={setEarlyStopping}>
              <span className="check-box" aria-hidden="true" />
              <span>Stop when the validation loss stops improving</span>
            </Checkbox>
          </div>
          {earlyStopping && (
            <div className="field-row">
              <NumberText
                label="Patience"
                name="patience"
                value={patience}
                onChange={setPatience}
                isRequired
                description="Epochs in a row without improvement before training stops; the best epoch's weights are kept."
                validate={(v) => numberCheck(v, { integer: true, min: 1, max: 1_000_000 })}
              />
              <NumberText
                label="Min delta"
                name="minDelta"
                value={minDelta}
                onChange={setMinDelta}
                description="How much lower the validation loss must be to count as an improvement (empty: 0)."
                validate={(v) => numberCheck(v, { min: 0, optional: true })}
              />
            </div>
          )}

          <div className="field">
            <Checkbox
              className="check"
              name="missingIndicator"
              isSelected={missingIndicator}
              onChange={setMissingIndicator}
              aria-describedby={missingIndicatorHint}
            >
              <span className="check-box" aria-hidden="true" />
              <span>Missing indicator: give numeric features with empty cells a 0/1 &ldquo;was missing&rdquo; input</span>
            </Checkbox>
            <p id={missingIndicatorHint} className="hint">
              {withMissing.length > 0
                ? `Chosen numeric features with empty cells: ${withMissing.map((c) => `${c.name} (${c.missing} missing)`).join(', ')}.`
                : 'None of the chosen numeric features has empty cells, so this adds no input.'}
            </p>
            {server.byField.missingIndicator && <p className="react-aria-FieldError">{server.byField.missingIndicator}</p>}
          </div>
        </fieldset>

        <div className="actions">
          <Link className="button" to="/training">
            Cancel
          </Link>
          <Button type="submit" className="button button-primary" isDisabled={create.isPending || !dataset}>
            {create.isPending ? 'Starting…' : 'Start training'}
          </Button>
        </div>
      </Form>
    </section>
  );
}

function NumberText({
  label,
  name,
  value,
  onChange,
  description,
  validate,
  isRequired,
  inputMode = 'decimal',
}: {
  label: string;
  name: string;
  value: string;
  onChange: (v: string) => void;
  description?: ReactNode;
  validate: (v: string) => string | null;
  isRequired?: boolean;
  inputMode?: 'decimal' | 'text';
}) {
  return (
    <TextField className="field" name={name} value={value} onChange={onChange} validate={validate} isRequired={isRequired}>
      <Label>{label}</Label>
      <Input inputMode={inputMode} />
      {description && (
        <Text slot="description" className="hint">
          {description}
        </Text>
      )}
      <FieldError />
    </TextField>
  );
}
