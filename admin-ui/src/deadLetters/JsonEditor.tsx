// The message body editor: CodeMirror 6 with JSON highlighting, and lint markers for syntax and contract errors.
import { defaultKeymap, history, historyKeymap } from '@codemirror/commands';
import { json } from '@codemirror/lang-json';
import { bracketMatching, defaultHighlightStyle, syntaxHighlighting } from '@codemirror/language';
import { forceLinting, linter, lintGutter, type Diagnostic } from '@codemirror/lint';
import { EditorSelection, EditorState, StateEffect, StateField } from '@codemirror/state';
import { EditorView, keymap, lineNumbers } from '@codemirror/view';
import { forwardRef, useEffect, useImperativeHandle, useRef } from 'react';
import type { FieldError } from '../api/types.js';
import { locatePath, parseError, pathOf } from './jsonPositions.js';

const setContractErrors = StateEffect.define<readonly FieldError[]>();

/** The contract errors of the last check, kept in the editor so the linter can place them. */
const contractErrors = StateField.define<readonly FieldError[]>({
  create: () => [],
  update: (value, tr) => tr.effects.reduce((v, e) => (e.is(setContractErrors) ? e.value : v), value),
});

/** Syntax errors from the parser; when the text parses, the contract errors at their fields. */
export function diagnosticsOf(state: EditorState): Diagnostic[] {
  const syntax = parseError(state);
  if (syntax)
    return [{ from: syntax.from, to: syntax.to, severity: 'error', source: 'JSON', message: syntax.message }];
  return state.field(contractErrors).flatMap((error) => {
    const range = locatePath(state, pathOf(error.field));
    return range
      ? [
          {
            from: range.from,
            to: range.to,
            severity: 'error' as const,
            source: 'contract',
            message: `${error.field}: ${error.message}`,
          },
        ]
      : [];
  });
}

export interface JsonEditorHandle {
  /** Moves focus and the selection to the value at `field` (a contract error's path). */
  focusField(field: string): void;
}

export interface JsonEditorProps {
  readonly initialText: string;
  readonly onChange: (text: string) => void;
  /** The API's contract errors for the current text. */
  readonly errors: readonly FieldError[];
  readonly labelledBy: string;
  readonly describedBy?: string;
  readonly invalid?: boolean;
}

export const JsonEditor = forwardRef<JsonEditorHandle, JsonEditorProps>(function JsonEditor(props, ref) {
  const host = useRef<HTMLDivElement>(null);
  const view = useRef<EditorView | null>(null);
  const onChange = useRef(props.onChange);
  onChange.current = props.onChange;

  useEffect(() => {
    const editor = new EditorView({
      parent: host.current!,
      state: EditorState.create({
        doc: props.initialText,
        extensions: [
          lineNumbers(),
          history(),
          bracketMatching(),
          json(),
          syntaxHighlighting(defaultHighlightStyle),
          contractErrors,
          linter((v) => diagnosticsOf(v.state), {
            delay: 150,
            // New contract errors lint again, as an edit does.
            needsRefresh: (update) =>
              update.transactions.some((tr) => tr.effects.some((e) => e.is(setContractErrors))),
          }),
          lintGutter(),
          // Tab is left to the browser: keyboard users move on to the next control.
          keymap.of([...defaultKeymap, ...historyKeymap]),
          EditorView.lineWrapping,
          EditorView.contentAttributes.of({
            'aria-labelledby': props.labelledBy,
            ...(props.describedBy ? { 'aria-describedby': props.describedBy } : {}),
            'aria-multiline': 'true',
            role: 'textbox',
            spellcheck: 'false',
          }),
          EditorView.updateListener.of((update) => {
            if (update.docChanged) onChange.current(update.state.doc.toString());
          }),
        ],
      }),
    });
    view.current = editor;
    return () => {
      editor.destroy();
      view.current = null;
    };
    // The editor owns its text from here on; later `initialText` values are ignored.
  }, []);

  useEffect(() => {
    // After the current editor update, which may be the one that led to this render.
    const timer = setTimeout(() => {
      const editor = view.current;
      if (!editor) return;
      editor.dispatch({ effects: setContractErrors.of(props.errors) });
      forceLinting(editor);
    });
    return () => clearTimeout(timer);
  }, [props.errors]);

  useEffect(() => {
    view.current?.contentDOM.setAttribute('aria-invalid', props.invalid ? 'true' : 'false');
  }, [props.invalid]);

  useImperativeHandle(ref, () => ({
    focusField(field: string) {
      const editor = view.current;
      if (!editor) return;
      const range = locatePath(editor.state, pathOf(field));
      editor.focus();
      if (range)
        editor.dispatch({
          selection: EditorSelection.range(range.from, range.to),
          effects: EditorView.scrollIntoView(range.from, { y: 'center' }),
        });
    },
  }));

  return <div className="json-editor" ref={host} data-testid="json-editor" />;
});
