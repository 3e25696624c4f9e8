import { parseFdLimits, parseProcStatBusySeconds, parseStatFields, parseVmRssKiB, statCpuTicks } from '../src/proc.js';

describe('/proc parsers', () => {
  it('stat lines, even with spaces and parentheses in the command name', () => {
    const line = '4242 (node (worker) x) S 1 4242 4242 0 -1 4194560 1000 0 0 0 150 35 0 0 20 0 11 0 12345 1000000 5000';
    const f = parseStatFields(line);
    expect(f[0]).toBe('S');
    expect(f[1]).toBe('1');
    expect(statCpuTicks(line)).toBe(185);
  });
  it('VmRSS from status', () => {
    expect(parseVmRssKiB('Name:\tmosquitto\nVmPeak:\t  9999 kB\nVmRSS:\t    7424 kB\nRssAnon:\t 1 kB\n')).toBe(7424);
    expect(parseVmRssKiB('Name: x\n')).toBeNaN();
  });
  it('open files limit', () => {
    const limits = 'Limit                     Soft Limit           Hard Limit           Units\nMax open files            20000                20000                files\n';
    expect(parseFdLimits(limits)).toEqual({ soft: 20000, hard: 20000 });
    expect(parseFdLimits('Max open files            1024                 unlimited            files')).toEqual({ soft: 1024, hard: Infinity });
    expect(parseFdLimits('')).toBeNull();
  });
  it('machine busy time from /proc/stat excludes idle and iowait', () => {
    const stat = 'cpu  100 10 50 1000 20 5 5 10 0 0\ncpu0 1 2 3 4 5 6 7 8 0 0\n';
    expect(parseProcStatBusySeconds(stat, 100)).toBeCloseTo((100 + 10 + 50 + 5 + 5 + 10) / 100);
  });
});
