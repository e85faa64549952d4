// Finds where JSON text goes wrong: engines' JSON.parse messages do not always say where.

export interface JsonSyntaxError {
  readonly offset: number;
  readonly line: number;
  readonly column: number;
  readonly message: string;
}

class Failure extends Error {
  constructor(
    readonly offset: number,
    message: string,
  ) {
    super(message);
  }
}

/** The first syntax error of `text`, or null when it is valid JSON. */
export function findJsonSyntaxError(text: string): JsonSyntaxError | null {
  let i = 0;
  const describe = (at: number) => (at >= text.length ? 'end of input' : JSON.stringify(text[at]));
  const fail = (expected: string): never => {
    throw new Failure(i, `expected ${expected}, found ${describe(i)}`);
  };
  const space = () => {
    while (i < text.length && ' \t\n\r'.includes(text[i]!)) i++;
  };
  const literal = (word: string) => {
    if (text.startsWith(word, i)) i += word.length;
    else fail('a value');
  };
  const string = () => {
    i++;
    while (i < text.length && text[i] !== '"') {
      if (text[i] === '\\') {
        const escape = /^\\(["\\/bfnrt]|u[0-9a-fA-F]{4})/.exec(text.slice(i, i + 6));
        if (!escape) fail('a valid escape');
        i += escape![0].length;
      } else if (text.charCodeAt(i) < 0x20) {
        fail('a closing quote (control characters must be escaped)');
      } else i++;
    }
    if (i >= text.length) fail('a closing quote');
    i++;
  };
  const number = () => {
    const match = /^-?(0|[1-9]\d*)(\.\d+)?([eE][+-]?\d+)?/.exec(text.slice(i));
    if (!match) fail('a value');
    i += match![0].length;
  };
  const sequence = (close: string, item: () => void) => {
    i++;
    space();
    if (text[i] === close) return void i++;
    for (;;) {
      item();
      space();
      if (text[i] === ',') {
        i++;
        space();
      } else if (text[i] === close) return void i++;
      else fail(`',' or '${close}'`);
    }
  };
  const value = (): void => {
    space();
    const c = text[i];
    if (c === '{') {
      sequence('}', () => {
        if (text[i] !== '"') fail('a property name in double quotes');
        string();
        space();
        if (text[i] !== ':') fail("':'");
        i++;
        value();
      });
    } else if (c === '[') sequence(']', value);
    else if (c === '"') string();
    else if (c === 't') literal('true');
    else if (c === 'f') literal('false');
    else if (c === 'n') literal('null');
    else number();
  };
  try {
    value();
    space();
    if (i < text.length) fail('end of input');
    return null;
  } catch (error) {
    if (!(error instanceof Failure)) throw error;
    const before = text.slice(0, error.offset).split('\n');
    return {
      offset: error.offset,
      line: before.length,
      column: before.at(-1)!.length + 1,
      message: error.message,
    };
  }
}
