// A reader that stops early (`cwo plan | head -1`) closes the pipe, and the
// next write fails with EPIPE. Unhandled, that is a stack trace and exit 1.
// Like a Unix tool killed by SIGPIPE, but without dying mid-run: the output
// is dropped, the command finishes (an apply still records its state) and
// the process exits with the command's own code.
export function quietOnClosedPipe(stream: NodeJS.WriteStream): void {
  let closed = false;
  stream.on('error', (error: NodeJS.ErrnoException) => {
    if (error.code === 'EPIPE' || (closed && error.code === 'ERR_STREAM_DESTROYED')) {
      closed = true;
      return;
    }
    throw error;
  });
}
