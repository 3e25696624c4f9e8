// Minimal leveled logger writing to stderr (log.to = console) or a file.
export type LogLevel = 'debug' | 'info' | 'notice' | 'warning' | 'error' | 'critical' | 'alert' | 'emergency' | 'none';
const ORDER: Record<LogLevel, number> = { debug: 0, info: 1, notice: 2, warning: 3, error: 4, critical: 5, alert: 6, emergency: 7, none: 99 };

export interface Logger {
  debug(msg: string): void;
  info(msg: string): void;
  warning(msg: string): void;
  error(msg: string): void;
  level: LogLevel;
  enabled(level: LogLevel): boolean;
}

export function createLogger(level: LogLevel = 'warning', write: (line: string) => void = (l) => process.stderr.write(l)): Logger {
  const log = {
    level,
    enabled(l: LogLevel) {
      return ORDER[l] >= ORDER[log.level];
    },
    debug: (m: string) => emit('debug', m),
    info: (m: string) => emit('info', m),
    warning: (m: string) => emit('warning', m),
    error: (m: string) => emit('error', m),
  };
  function emit(l: LogLevel, m: string): void {
    if (ORDER[l] < ORDER[log.level]) return;
    write(`${new Date().toISOString()} [${l}] ${m}\n`);
  }
  return log;
}
