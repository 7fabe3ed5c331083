import type { ModelVersionDto, UploadProgress, VersionSource } from '@modelgate/sdk';
import { useMutation, useQueryClient } from '@tanstack/react-query';
import { useState } from 'react';
import {
  Button,
  Dialog,
  DialogTrigger,
  type DropItem,
  DropZone,
  FileTrigger,
  Form,
  Heading,
  Input,
  Label,
  Modal,
  ProgressBar,
  Text,
  TextArea,
  TextField,
} from 'react-aria-components';
import { useSession } from '../../session';
import { ErrorNotice, formatBytes, FormActions } from '../../ui';

const ARCHIVE = /\.(zip|tar\.gz|tgz)$/i;

/** What the chosen files make: one archive, or model.json with its weight shards. */
export function sourceOf(files: File[]): { source?: VersionSource; problem?: string } {
  if (files.length === 0) return {};
  const archives = files.filter((f) => ARCHIVE.test(f.name));
  if (archives.length > 0) {
    return files.length === 1
      ? { source: { archive: files[0] } }
      : { problem: 'Give one archive on its own, or model.json with its weight files.' };
  }
  if (!files.some((f) => f.name === 'model.json')) return { problem: 'model.json is missing: give it with its weight files (.bin).' };
  return { source: { files } };
}

/** Upload a new draft version: drag and drop (or choose) the files or one archive, with progress. */
export function UploadVersion({ model, onUploaded }: { model: string; onUploaded: (v: ModelVersionDto) => void }) {
  const { client } = useSession();
  const queries = useQueryClient();
  const [files, setFiles] = useState<File[]>([]);
  const [description, setDescription] = useState('');
  const [labels, setLabels] = useState('');
  const [progress, setProgress] = useState<UploadProgress | undefined>();
  const { source, problem } = sourceOf(files);

  const upload = useMutation({
    mutationFn: () => {
      if (!source) throw new Error(problem ?? 'Choose the files to upload.');
      const names = labels
        .split(',')
        .map((l) => l.trim())
        .filter(Boolean);
      return client.versions.upload(
        model,
        source,
        { ...(description.trim() ? { description: description.trim() } : {}), ...(names.length ? { labels: names } : {}) },
        { onUploadProgress: setProgress },
      );
    },
    onSuccess: async (version) => {
      await Promise.all([
        queries.invalidateQueries({ queryKey: ['versions', model] }),
        queries.invalidateQueries({ queryKey: ['model', model] }),
        queries.invalidateQueries({ queryKey: ['models'] }),
      ]);
      onUploaded(version);
    },
  });

  const add = (more: File[]) => {
    upload.reset();
    setFiles((known) => [...known.filter((f) => !more.some((m) => m.name === f.name)), ...more]);
  };
  const reset = () => {
    upload.reset();
    setFiles([]);
    setDescription('');
    setLabels('');
    setProgress(undefined);
  };

  return (
    <DialogTrigger onOpenChange={(open) => !open && reset()}>
      <Button className="button button-primary">Upload a version</Button>
      <Modal className="modal" isDismissable={!upload.isPending}>
        <Dialog className="dialog dialog-wide">
          {({ close }) => (
            <>
              <Heading slot="title">Upload a version of {model}</Heading>
              <Form
                onSubmit={(e) => {
                  e.preventDefault();
                  upload.mutate(undefined, { onSuccess: close });
                }}
              >
                <DropZone
                  className="dropzone"
                  aria-label="Model files"
                  onDrop={async (e) => {
                    const dropped = await Promise.all(
                      e.items.filter((i): i is Extract<DropItem, { kind: 'file' }> => i.kind === 'file').map((i) => i.getFile()),
                    );
                    add(dropped);
                  }}
                >
                  <Text slot="label">
                    Drop <code>model.json</code> and its weight files here, or one <code>.zip</code> / <code>.tar.gz</code> archive.
                  </Text>
                  <FileTrigger allowsMultiple onSelect={(list) => list && add([...list])}>
                    <Button className="button">Choose files…</Button>
                  </FileTrigger>
                </DropZone>
                {files.length > 0 && (
                  <ul className="file-list" aria-label="Files to upload">
                    {files.map((f) => (
                      <li key={f.name}>
                        <code>{f.name}</code> <span className="muted small">{formatBytes(f.size)}</span>
                        <Button
                          className="button button-quiet small"
                          aria-label={`Remove ${f.name}`}
                          isDisabled={upload.isPending}
                          onPress={() => setFiles((known) => known.filter((k) => k !== f))}
                        >
                          Remove
                        </Button>
                      </li>
                    ))}
                  </ul>
                )}
                {problem && <p className="field-problem">{problem}</p>}
                <TextField className="field" value={description} onChange={setDescription}>
                  <Label>Description</Label>
                  <TextArea rows={2} />
                </TextField>
                <TextField className="field" value={labels} onChange={setLabels}>
                  <Label>Class labels, in output order (comma-separated, classifiers only)</Label>
                  <Input placeholder="e.g. setosa, versicolor, virginica" />
                </TextField>
                {upload.isPending && (
                  <ProgressBar
                    className="progress"
                    aria-label="Upload progress"
                    value={progress && progress.total > 0 ? Math.round((100 * progress.loaded) / progress.total) : 0}
                    isIndeterminate={!progress}
                  >
                    {({ percentage }) => (
                      <>
                        <span className="progress-label">
                          {progress && progress.loaded >= progress.total
                            ? 'Checking the model…'
                            : `Uploading ${Math.round(percentage ?? 0)}%`}
                        </span>
                        <div className="progress-track">
                          <div className="progress-fill" style={{ width: `${percentage ?? 0}%` }} />
                        </div>
                      </>
                    )}
                  </ProgressBar>
                )}
                {upload.isError && <ErrorNotice error={upload.error} title="The version was not uploaded" />}
                <FormActions
                  onCancel={close}
                  submit="Upload"
                  pendingLabel="Uploading…"
                  pending={upload.isPending}
                  disabled={!source}
                  holdCancel
                />
              </Form>
            </>
          )}
        </Dialog>
      </Modal>
    </DialogTrigger>
  );
}
