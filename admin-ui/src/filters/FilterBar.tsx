// A filter form: choices apply at once, typed text and dates on Enter or "Apply"; all of it lives in the URL.
import { useState, type FormEvent } from 'react';
import { isoToLocalInput, localInputToIso } from './urlFilters.js';

export interface FilterField<K extends string> {
  readonly key: K;
  readonly label: string;
  readonly kind: 'text' | 'select' | 'datetime';
  readonly options?: readonly { readonly value: string; readonly label: string }[];
  readonly placeholder?: string;
  /** Wider input (free-text search). */
  readonly wide?: boolean;
}

export interface FilterBarProps<K extends string> {
  readonly label: string;
  readonly fields: readonly FilterField<K>[];
  readonly values: Readonly<Record<K, string>>;
  readonly activeCount: number;
  readonly onChange: (changes: Partial<Record<K, string>>) => void;
  readonly onClear: () => void;
}

/** The options, plus the URL's value when the list does not have it (yet): a shared link shows what it filters. */
function withCurrent(options: FilterField<string>['options'] & object, value: string) {
  return value === '' || options.some((o) => o.value === value)
    ? options
    : [...options, { value, label: value }];
}

/** Re-keyed on every URL change so the draft always starts from what the URL says. */
export function FilterBar<K extends string>(props: FilterBarProps<K>) {
  return <FilterForm key={JSON.stringify(props.values)} {...props} />;
}

function FilterForm<K extends string>({
  label,
  fields,
  values,
  activeCount,
  onChange,
  onClear,
}: FilterBarProps<K>) {
  const [draft, setDraft] = useState<Record<K, string>>(() => ({ ...values }));
  const typed = fields.filter((f) => f.kind !== 'select');
  const submit = (event: FormEvent) => {
    event.preventDefault();
    const changes: Partial<Record<K, string>> = {};
    for (const field of typed) changes[field.key] = draft[field.key];
    onChange(changes);
  };
  return (
    <form className="filters" role="search" aria-label={label} onSubmit={submit}>
      {fields.map((field) => (
        <label key={field.key} className={`field${field.wide ? ' field--wide' : ''}`}>
          <span>{field.label}</span>
          {field.kind === 'select' ? (
            <select
              value={values[field.key]}
              onChange={(e) => onChange({ [field.key]: e.target.value } as Partial<Record<K, string>>)}
            >
              {withCurrent(field.options ?? [], values[field.key]).map((option) => (
                <option key={option.value} value={option.value}>
                  {option.label}
                </option>
              ))}
            </select>
          ) : field.kind === 'datetime' ? (
            <input
              type="datetime-local"
              value={isoToLocalInput(draft[field.key])}
              onChange={(e) => setDraft({ ...draft, [field.key]: localInputToIso(e.target.value) })}
            />
          ) : (
            <input
              type="search"
              value={draft[field.key]}
              placeholder={field.placeholder}
              onChange={(e) => setDraft({ ...draft, [field.key]: e.target.value })}
            />
          )}
        </label>
      ))}
      <div className="filters__actions">
        {typed.length > 0 ? (
          <button type="submit" className="btn btn--primary">
            Apply
          </button>
        ) : null}
        <button type="button" className="btn btn--ghost" onClick={onClear} disabled={activeCount === 0}>
          Clear{activeCount ? ` (${activeCount})` : ''}
        </button>
      </div>
    </form>
  );
}
