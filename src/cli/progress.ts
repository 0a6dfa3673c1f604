// Prints each change as it is made. On a terminal it also keeps a running
// count on one rewritten line, so a long apply shows it is alive.
export class ProgressLine {
  private readonly out: NodeJS.WriteStream;
  private readonly tty: boolean;
  private count = 0;

  constructor(out: NodeJS.WriteStream) {
    this.out = out;
    this.tty = out.isTTY === true;
  }

  print(line: string): void {
    this.count++;
    if (this.tty) this.out.write(`\r\x1b[K${line}\n[${this.count} changes made]`);
    else this.out.write(`${line}\n`);
  }

  done(): void {
    if (this.tty && this.count > 0) this.out.write('\r\x1b[K');
  }
}
