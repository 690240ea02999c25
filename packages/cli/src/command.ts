/** One `ruminate <name>` subcommand. */
export interface Command {
  /** The word after `ruminate`. */
  name: string;
  /** One line for `ruminate help`. */
  summary: string;
  /** Usage line(s) shown by `ruminate help <name>` and on bad arguments. */
  usage: string;
  /** Runs the command with the arguments after its name; resolves to the exit code. */
  run(argv: string[]): Promise<number>;
}
