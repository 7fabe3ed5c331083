import type { ModelVersionDto, PredictRequestDto } from '@modelgate/sdk';
import { useMutation } from '@tanstack/react-query';
import { useState } from 'react';
import { Button, Form, Input, Label, TextArea, TextField, ToggleButton, ToggleButtonGroup } from 'react-aria-components';
import { useSession } from '../../session';
import { ErrorNotice } from '../../ui';

type Rows = PredictRequestDto['instances'];

/** The version's feature names (`params.features`), when it names them: rows may then be objects. */
export function featureNames(v: ModelVersionDto): string[] | undefined {
  const f = v.params.features;
  return Array.isArray(f) && f.length > 0 && f.every((n) => typeof n === 'string') ? (f as string[]) : undefined;
}

/** One row of zeros shaped like the first input (its dimensions after the batch one). */
function exampleRow(v: ModelVersionDto): unknown {
  const dims = (v.inputs[0]?.shape ?? [-1, 1]).slice(1).map((d) => (d > 0 ? d : 1));
  const build = (at: number): unknown => (at === dims.length ? 0 : Array.from({ length: dims[at] }, () => build(at + 1)));
  return dims.length ? build(0) : 0;
}

/** Sends rows to this version and shows the answer, the version that answered and the time it took. */
export function TryIt({ version: v }: { version: ModelVersionDto }) {
  const { client } = useSession();
  const names = featureNames(v);
  const [mode, setMode] = useState<'form' | 'json'>(names ? 'form' : 'json');
  const [json, setJson] = useState(() => JSON.stringify([exampleRow(v)]));
  const [values, setValues] = useState<Record<string, string>>({});
  const [parseError, setParseError] = useState<string>();

  const send = useMutation({
    mutationFn: async (rows: Rows) => {
      const started = performance.now();
      const answer = await client.predict(v.model, rows, { version: v.version });
      return { answer, ms: performance.now() - started };
    },
  });

  const rows = (): Rows | undefined => {
    if (mode === 'form' && names) {
      const row: Record<string, number> = {};
      for (const n of names) {
        const value = Number(values[n] ?? '');
        if (values[n] === undefined || values[n].trim() === '' || !Number.isFinite(value)) {
          setParseError(`${n} needs a number.`);
          return undefined;
        }
        row[n] = value;
      }
      return [row];
    }
    try {
      const parsed: unknown = JSON.parse(json);
      if (!Array.isArray(parsed) || parsed.length === 0) {
        setParseError('Give a JSON array of rows, e.g. [[5.1, 3.5, 1.4, 0.2]].');
        return undefined;
      }
      return parsed as Rows;
    } catch (e) {
      setParseError(`Not valid JSON: ${(e as Error).message}`);
      return undefined;
    }
  };

  return (
    <section className="try-it" aria-labelledby="try-it-title">
      <h3 id="try-it-title">Try it</h3>
      {names && (
        <ToggleButtonGroup
          className="segmented"
          aria-label="How to enter the rows"
          selectionMode="single"
          disallowEmptySelection
          selectedKeys={[mode]}
          onSelectionChange={(keys) => setMode([...keys][0] as 'form' | 'json')}
        >
          <ToggleButton id="form" className="button button-quiet">
            Form
          </ToggleButton>
          <ToggleButton id="json" className="button button-quiet">
            JSON
          </ToggleButton>
        </ToggleButtonGroup>
      )}
      <Form
        onSubmit={(e) => {
          e.preventDefault();
          setParseError(undefined);
          const r = rows();
          if (r) send.mutate(r);
        }}
      >
        {mode === 'form' && names ? (
          <div className="feature-grid">
            {names.map((n) => (
              <TextField key={n} className="field" value={values[n] ?? ''} onChange={(value) => setValues((s) => ({ ...s, [n]: value }))}>
                <Label>{n}</Label>
                <Input inputMode="decimal" />
              </TextField>
            ))}
          </div>
        ) : (
          <TextField className="field" value={json} onChange={setJson}>
            <Label>Rows (JSON array)</Label>
            <TextArea rows={4} className="code-input" spellCheck={false} />
          </TextField>
        )}
        {parseError && (
          <p className="field-problem" role="alert">
            {parseError}
          </p>
        )}
        <div className="actions">
          <Button type="submit" className="button button-primary" isDisabled={send.isPending}>
            {send.isPending ? 'Predicting…' : 'Predict'}
          </Button>
        </div>
      </Form>
      {send.isError && <ErrorNotice error={send.error} title="The prediction failed" />}
      {send.isSuccess && (
        <div className="answer" aria-live="polite" aria-label="Prediction answer">
          <p>
            Answered by <strong>v{send.data.answer.version}</strong> in <strong>{Math.round(send.data.ms)} ms</strong>
            {send.data.answer.labels && (
              <>
                {' '}
                · <span className="muted">labels:</span> <strong>{send.data.answer.labels.join(', ')}</strong>
              </>
            )}
          </p>
          <pre className="code-block">{JSON.stringify(send.data.answer.predictions, null, 1)}</pre>
        </div>
      )}
    </section>
  );
}
