import type { DatasetDto, UploadProgress } from '@modelgate/sdk';
import { useMutation, useQueryClient } from '@tanstack/react-query';
import { useRef, useState } from 'react';
import { Button, DropZone, FieldError, FileTrigger, Form, Input, Label, Text, TextField } from 'react-aria-components';
import { Link } from 'react-router';
import { useSession } from '../../session';
import { ErrorNotice, formatBytes } from '../../ui';
import { keys } from './jobs';
import { type Preview, previewFile } from './preview';
import { ColumnTypes } from './DatasetPage';
import { UploadProgressBar } from './TrainingUi';

const ACCEPTED = ['.csv', '.jsonl', '.ndjson', '.json', 'text/csv', 'application/json', 'application/x-ndjson'];

/** Picks (or takes a dropped) CSV / JSON-lines file, previews its first rows, and uploads it. */
export function DatasetUpload() {
  const { client } = useSession();
  const queries = useQueryClient();
  const [file, setFile] = useState<File | null>(null);
  const [preview, setPreview] = useState<Preview | null>(null);
  const [previewError, setPreviewError] = useState<unknown>(null);
  const [name, setName] = useState('');
  // Bytes sent, as the SDK reports them (XMLHttpRequest in browsers); the bar is indeterminate until the first report.
  const [progress, setProgress] = useState<UploadProgress | undefined>(undefined);
  const abort = useRef<AbortController | null>(null);

  const upload = useMutation({
    mutationFn: ({ file, name }: { file: File; name: string }) => {
      abort.current = new AbortController();
      setProgress(undefined);
      return client.datasets.upload(file, { name, signal: abort.current.signal, onUploadProgress: setProgress });
    },
    onSuccess: async () => {
      setFile(null);
      setPreview(null);
      await queries.invalidateQueries({ queryKey: keys.datasets });
    },
    onSettled: () => {
      abort.current = null;
    },
  });

  const choose = async (picked: File | undefined) => {
    if (!picked) return;
    upload.reset();
    setFile(picked);
    setName(picked.name.replace(/\.(csv|jsonl|ndjson|json)$/i, ''));
    setPreview(null);
    setPreviewError(null);
    try {
      setPreview(await previewFile(picked));
    } catch (error) {
      setPreviewError(error);
    }
  };

  const clear = () => {
    setFile(null);
    setPreview(null);
    setPreviewError(null);
    upload.reset();
  };

  return (
    <section className="card" aria-labelledby="upload-title">
      <h3 id="upload-title">Upload a dataset</h3>
      <DropZone
        className="dropzone"
        aria-label="Drop a CSV or JSON-lines file here"
        onDrop={async (e) => {
          const item = e.items.find((i) => i.kind === 'file');
          if (item && item.kind === 'file') await choose(await item.getFile());
        }}
      >
        <p>Drop a CSV (with a header line) or JSON-lines file here, or</p>
        <FileTrigger acceptedFileTypes={ACCEPTED} onSelect={(files) => void choose(files?.[0])}>
          <Button className="button">Choose a file…</Button>
        </FileTrigger>
      </DropZone>

      {previewError !== null && <ErrorNotice error={previewError} title="The file could not be read" />}

      {file && (
        <>
          <p className="small">
            <strong>{file.name}</strong> · {formatBytes(file.size)}
            {preview && ` · ${preview.format === 'csv' ? 'CSV' : 'JSON lines'}`}
          </p>
          {preview && <PreviewTable preview={preview} fileName={file.name} />}
          <Form
            onSubmit={(e) => {
              e.preventDefault();
              upload.mutate({ file, name: name.trim() });
            }}
          >
            <TextField className="field" name="name" isRequired maxLength={200} value={name} onChange={setName}>
              <Label>Dataset name</Label>
              <Input />
              <FieldError />
            </TextField>
            {upload.isPending && <UploadProgressBar label={`Uploading ${file.name}`} progress={progress} />}
            {upload.isError && <ErrorNotice error={upload.error} title="The dataset was not uploaded" />}
            <div className="actions">
              {upload.isPending ? (
                <Button className="button" onPress={() => abort.current?.abort()}>
                  Stop the upload
                </Button>
              ) : (
                <Button className="button" onPress={clear}>
                  Clear
                </Button>
              )}
              <Button type="submit" className="button button-primary" isDisabled={upload.isPending}>
                {upload.isPending ? 'Uploading…' : 'Upload'}
              </Button>
            </div>
          </Form>
        </>
      )}

      {upload.isSuccess && <Uploaded dataset={upload.data} />}
    </section>
  );
}

function PreviewTable({ preview, fileName }: { preview: Preview; fileName: string }) {
  if (preview.columns.length === 0) {
    return (
      <p className="notice" role="status">
        No header or rows could be read from the beginning of this file; the server will say what is wrong with it.
      </p>
    );
  }
  return (
    // Scrolls sideways for wide tables: focusable, so that keyboards can scroll it too.
    <div className="preview-scroll" role="region" aria-label={`First rows of ${fileName}`} tabIndex={0}>
      <table className="table compact">
        <caption className="visually-hidden">Preview of {fileName}</caption>
        <thead>
          <tr>
            {preview.columns.map((c, i) => (
              <th key={`${c}-${i}`} scope="col">
                {c}
              </th>
            ))}
          </tr>
        </thead>
        <tbody>
          {preview.rows.map((row, r) => (
            <tr key={r}>
              {row.map((cell, i) => (
                <td key={i}>{cell}</td>
              ))}
            </tr>
          ))}
        </tbody>
      </table>
      <Text className="muted small" elementType="p">
        {preview.rows.length === 0
          ? 'The file has a header but no rows in its beginning.'
          : `The first ${preview.rows.length} row${preview.rows.length === 1 ? '' : 's'}${preview.truncated ? ' of the file' : ' (the whole file)'}, read in your browser. The server infers the column types on upload.`}
      </Text>
    </div>
  );
}

function Uploaded({ dataset }: { dataset: DatasetDto }) {
  return (
    <div className="notice" role="status" aria-labelledby="uploaded-title">
      <strong id="uploaded-title">Uploaded {dataset.name}</strong>
      <p>
        {dataset.rows} rows, {dataset.columns.length} columns, {formatBytes(dataset.sizeBytes)}. The server inferred these column types:
      </p>
      <ColumnTypes dataset={dataset} />
      <p>
        <Link to={`/training/datasets/${dataset.id}`}>Open the dataset</Link> ·{' '}
        <Link to={`/training/jobs/new?dataset=${dataset.id}`}>Train a model on it</Link>
      </p>
    </div>
  );
}
