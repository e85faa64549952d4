// Read-only pretty JSON in a scrollable block.
import { prettyJson } from './format.js';

export function JsonView({ value, label }: { value: unknown; label: string }) {
  return (
    <pre className="code" aria-label={label} tabIndex={0}>
      {prettyJson(value)}
    </pre>
  );
}
