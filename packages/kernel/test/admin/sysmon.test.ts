// The health checks over fake readings: EMQX's alarm names, details and messages, and the
// hysteresis between the high and low watermarks.
import { Alarms } from '../../src/admin/alarms';
import { Sysmon, type SysmonOptions, type SysmonProbe } from '../../src/admin/sysmon';

const OPTS: SysmonOptions = {
  cpuCheckInterval: 0, cpuHighWatermark: 0.8, cpuLowWatermark: 0.6,
  memCheckInterval: 0, sysmemHighWatermark: 0.7, procmemHighWatermark: 0.05,
  vmCheckInterval: 0, processHighWatermark: 0.8, processLowWatermark: 0.6, processLimit: 1000,
};

function setup(opts: Partial<SysmonOptions> = {}, alarmOpts = {}) {
  const reading = { cpu: 0, sysmem: 0, procmem: 0, processes: 0 };
  const probe: SysmonProbe = { cpu: () => reading.cpu, sysmem: () => reading.sysmem, procmem: () => reading.procmem, processes: () => reading.processes };
  const published: Array<[string, any]> = [];
  const logged: string[] = [];
  const alarms = new Alarms('n1@host', { sys: (t, p) => published.push([t, JSON.parse(p)]), warning: (l) => logged.push(l) }, alarmOpts);
  const errors: string[] = [];
  const mon = new Sysmon({ ...OPTS, ...opts }, alarms, probe, (l) => errors.push(l));
  return { reading, alarms, mon, published, logged, errors };
}

test('high_cpu_usage: raised above the high watermark, kept between the two, cleared below the low one', () => {
  const { reading, alarms, mon, published } = setup();
  reading.cpu = 80;
  mon.checkCpu();
  expect(alarms.isActive('high_cpu_usage')).toBe(false);
  reading.cpu = 85.5;
  mon.checkCpu();
  expect(alarms.isActive('high_cpu_usage')).toBe(true);
  expect(published).toHaveLength(1);
  expect(published[0]![0]).toBe('$SYS/brokers/n1@host/alarms/activate');
  expect(published[0]![1]).toMatchObject({ name: 'high_cpu_usage', message: '85.5% cpu usage', details: { usage: 85.5, high_watermark: 80, low_watermark: 60 } });
  // once active it is not raised again
  reading.cpu = 95;
  mon.checkCpu();
  reading.cpu = 70;
  mon.checkCpu();
  reading.cpu = 60;
  mon.checkCpu();
  expect(alarms.isActive('high_cpu_usage')).toBe(true);
  expect(published).toHaveLength(1);
  reading.cpu = 59.9;
  mon.checkCpu();
  expect(alarms.isActive('high_cpu_usage')).toBe(false);
  expect(published[1]![0]).toBe('$SYS/brokers/n1@host/alarms/deactivate');
  expect(published[1]![1].name).toBe('high_cpu_usage');
  expect(typeof published[1]![1].deactivate_at).toBe('number');
});

test('memory alarms: system and process memory, cleared as soon as the reading is back at or below the watermark', () => {
  const { reading, alarms, mon, published } = setup();
  reading.sysmem = 71;
  reading.procmem = 5;
  mon.checkMem();
  expect(alarms.isActive('high_system_memory_usage')).toBe(true);
  expect(alarms.isActive('high_process_memory_usage')).toBe(false);
  expect(published[0]![1]).toMatchObject({ name: 'high_system_memory_usage', message: 'System memory usage is higher than 70%', details: { usage: 71, high_watermark: 70 } });
  reading.procmem = 5.01;
  mon.checkMem();
  expect(published[1]![1]).toMatchObject({ name: 'high_process_memory_usage', message: 'Process memory usage is higher than 5%', details: { usage: 5.01, high_watermark: 5 } });
  reading.sysmem = 70;
  reading.procmem = 1;
  mon.checkMem();
  expect(alarms.list(true)).toEqual([]);
  expect(alarms.list(false).map((a) => a.name)).toEqual(['high_system_memory_usage', 'high_process_memory_usage']);
  expect(published.map(([t]) => t.split('/').pop())).toEqual(['activate', 'activate', 'deactivate', 'deactivate']);
});

test('too_many_processes: channels against the process limit, with hysteresis', () => {
  const { reading, alarms, mon, published } = setup();
  reading.processes = 801;
  mon.checkProcesses();
  expect(published[0]![1]).toMatchObject({ name: 'too_many_processes', message: '80.1% process usage', details: { usage: 80.1, high_watermark: 80, low_watermark: 60 } });
  reading.processes = 600;
  mon.checkProcesses();
  expect(alarms.isActive('too_many_processes')).toBe(true);
  reading.processes = 599;
  mon.checkProcesses();
  expect(alarms.isActive('too_many_processes')).toBe(false);
});

test('watermarks can change at run time; a failing reading is logged and the other checks go on', () => {
  const { reading, alarms, mon, errors } = setup({ memCheckInterval: 5 });
  reading.procmem = 3;
  mon.checkMem();
  expect(alarms.isActive('high_process_memory_usage')).toBe(false);
  mon.set({ procmemHighWatermark: 0.02 });
  mon.checkMem();
  expect(alarms.isActive('high_process_memory_usage')).toBe(true);
  expect(mon.options.procmemHighWatermark).toBe(0.02);
  // the timer path catches what a reading throws
  const broken = setup({ cpuCheckInterval: 1 });
  (broken.mon as unknown as { probe: SysmonProbe }).probe.cpu = () => {
    throw new Error('no cpu');
  };
  broken.mon.start();
  return new Promise<void>((resolve) => {
    const t = setInterval(() => {
      if (broken.errors.length === 0) return;
      clearInterval(t);
      broken.mon.stop();
      expect(broken.errors[0]).toBe('sysmon: check failed: no cpu');
      expect(errors).toEqual([]);
      resolve();
    }, 2);
  });
});

test('alarm.actions: without publish nothing goes to $SYS, without log nothing is logged; size_limit bounds the history', () => {
  const quiet = setup({}, { actions: ['log'], sizeLimit: 2 });
  quiet.reading.cpu = 90;
  quiet.mon.checkCpu();
  expect(quiet.published).toEqual([]);
  expect(quiet.logged).toEqual(['alarm high_cpu_usage is activated: 90% cpu usage']);
  for (let i = 0; i < 3; i++) {
    quiet.alarms.activate(`a${i}`);
    quiet.alarms.deactivate(`a${i}`);
  }
  expect(quiet.alarms.list(false).map((a) => a.name)).toEqual(['a1', 'a2']);
  const mute = setup({}, { actions: ['publish'] });
  mute.reading.cpu = 90;
  mute.mon.checkCpu();
  expect(mute.logged).toEqual([]);
  expect(mute.published).toHaveLength(1);
});

test('alarm.validity_period: deactivated alarms older than it are dropped', () => {
  const { alarms } = setup({}, { validityPeriod: 1000 });
  const now = Date.now();
  const spy = jest.spyOn(Date, 'now').mockReturnValue(now);
  alarms.activate('old');
  alarms.deactivate('old');
  spy.mockReturnValue(now + 600);
  alarms.activate('new');
  alarms.deactivate('new');
  spy.mockReturnValue(now + 1500);
  expect(alarms.list(false).map((a) => a.name)).toEqual(['new']);
  spy.mockRestore();
});
