// log.*
import type { LogConfig, LogLevel } from '../types.js';
import type { Reader } from './read.js';

export function buildLog(r: Reader): LogConfig {
  const levelFiles: Partial<Record<LogLevel, string>> = {};
  for (const s of r.family('log.$level.file')) levelFiles[(s.vars['$level'] ?? '') as LogLevel] = s.value as string;
  return {
    to: r.str('log.to') as LogConfig['to'],
    level: r.str('log.level') as LogLevel,
    dir: r.str('log.dir'),
    file: r.str('log.file'),
    formatter: r.str('log.formatter') as LogConfig['formatter'],
    singleLine: r.bool('log.single_line'),
    charsLimit: r.num('log.chars_limit'),
    maxDepth: r.val('log.max_depth') as number | 'unlimited',
    rotation: { enable: r.bool('log.rotation'), size: r.num('log.rotation.size'), count: r.num('log.rotation.count') },
    levelFiles,
  };
}
