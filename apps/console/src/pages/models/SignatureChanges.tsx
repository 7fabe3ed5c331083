import type { ModelVersionDto } from '@modelgate/sdk';

/** How this version's signature differs from production's: what its callers would break on. */
export function SignatureChanges({ changes }: { changes: ModelVersionDto['signatureChanges'] }) {
  return (
    <div className="notice notice-warning" role="note" aria-label="Signature differences from production">
      <strong>Differs from the production version’s signature</strong>
      <ul>
        {changes.map((c) => (
          <li key={c.field}>
            <code>{c.field}</code>: {c.message}
          </li>
        ))}
      </ul>
    </div>
  );
}
