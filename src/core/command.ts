/**
 * Commands tenken suggests in its messages (`record one with tenken baseline record`), written so that they
 * work when pasted: with the options that chose what this run worked on, quoted for a POSIX shell.
 */

/** A word as a POSIX shell reads it back: as is when it is plain, else in single quotes (`'it'\''s'`). */
export function shellWord(word: string): string {
  return /^[A-Za-z0-9_@%+=:,./-]+$/.test(word) ? word : `'${word.replaceAll("'", "'\\''")}'`;
}

/**
 * The global options that choose what a run works on, as argv words: `--root DIR`, `--config FILE`,
 * `--state DIR`, each only when given (absolute paths). A suggested command without them would inspect
 * the live host, read another config, or write another state directory.
 */
export function invocationWords(given: {
  root?: string | undefined;
  config?: string | undefined;
  state?: string | undefined;
}): string[] {
  return [
    ...(given.root === undefined ? [] : ['--root', given.root]),
    ...(given.config === undefined ? [] : ['--config', given.config]),
    ...(given.state === undefined ? [] : ['--state', given.state]),
  ];
}

/**
 * A tenken command line to suggest: `tenken`, this run's choosing options (invocationWords), then the
 * command's words, each quoted for a shell when needed: `tenken --root /srv/demo baseline record`.
 */
export function tenkenCommand(invocation: readonly string[], ...words: string[]): string {
  return ['tenken', ...invocation, ...words].map(shellWord).join(' ');
}
