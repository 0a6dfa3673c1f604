// Go's time.Duration.String() for whole seconds and up, used where Coder
// puts a duration into an error text (e.g. "lifetime must be less than 168h0m0s").
export function formatGoDuration(ns: number): string {
  if (ns === 0) return '0s';
  const totalSeconds = Math.floor(ns / 1e9);
  const hours = Math.floor(totalSeconds / 3600);
  const minutes = Math.floor((totalSeconds % 3600) / 60);
  const seconds = totalSeconds % 60;
  if (hours > 0) return `${hours}h${minutes}m${seconds}s`;
  if (minutes > 0) return `${minutes}m${seconds}s`;
  return `${seconds}s`;
}
