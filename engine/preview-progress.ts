/**
 * What `npm run plan` is doing while the user waits (evaluating the program, N resources
 * registered, running policies, pricing): one line rewritten in place on a TTY; elsewhere (CI
 * logs) a plain line as each phase finishes, nothing when silenced. Written to stderr so stdout stays the result.
 */
export interface Progress {
  /** A new phase ("evaluating the program"). */
  phase(text: string): void;
  /** A count within the phase, shown live on a TTY only (CI would get one line per resource). */
  tick(text: string): void;
  /** The phase's result, kept as a line ("190 resources registered in 8.1 s"). */
  done(text: string): void;
  /** Clears the live line before the result is printed. */
  end(): void;
}

export interface ProgressTarget {
  readonly isTTY?: boolean;
  write(text: string): unknown;
}

export function createProgress(stream: ProgressTarget, options: { readonly silent?: boolean } = {}): Progress {
  if (stream.isTTY) {
    let current = "";
    let last = 0;
    const show = (text: string, force = false): void => {
      const now = Date.now();
      // At most ~12 redraws a second: a registration every millisecond would flood the terminal.
      if (!force && now - last < 80) return;
      last = now;
      stream.write(`\r\u001b[2K${text}`);
    };
    return {
      phase(text) {
        current = text;
        show(`${text}…`, true);
      },
      tick(text) {
        show(`${current}… ${text}`);
      },
      done(text) {
        show(text, true);
        stream.write("\n");
        current = "";
      },
      end() {
        stream.write("\r\u001b[2K");
      },
    };
  }
  if (options.silent) return { phase() {}, tick() {}, done() {}, end() {} };
  // Plain lines, one per finished phase: a log reader sees what took the time, and a run that fails
  // early prints its error alone.
  return {
    phase() {},
    tick() {},
    done(text) {
      stream.write(`${text}\n`);
    },
    end() {},
  };
}
