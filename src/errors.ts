/**
 * Errors that reach the user. Every failure nslab can foresee is an NslabError with a sentence
 * a student can act on; the CLI prints `message` (and `hint`) and never a stack trace.
 */
export class NslabError extends Error {
  override readonly name: string = 'NslabError';
  constructor(
    message: string,
    /** What to do about it, e.g. "Run `nslab doctor` to see how to fix it." */
    readonly hint?: string,
  ) {
    super(message);
  }
}

/** A prerequisite (kernel feature, tool, terminal size) is missing. */
export class PrerequisiteError extends NslabError {
  override readonly name = 'PrerequisiteError';
}

/** A lab file (labs/NN-<id>/lab.md and its companions) is not valid; names the file, line, step and field. */
export class LabDefinitionError extends NslabError {
  override readonly name = 'LabDefinitionError';
}
