// sysmon.*, os_mon.*, vm_mon.*, alarm.*
import type { AlarmConfig, OsMonConfig, SysmonConfig, VmMonConfig } from '../types.js';
import type { Reader } from './read.js';

export function buildSysmon(r: Reader): SysmonConfig {
  return {
    longGc: r.num('sysmon.long_gc'),
    longSchedule: r.num('sysmon.long_schedule'),
    largeHeap: r.num('sysmon.large_heap'),
    busyPort: r.bool('sysmon.busy_port'),
    busyDistPort: r.bool('sysmon.busy_dist_port'),
  };
}

export function buildOsMon(r: Reader): OsMonConfig {
  return {
    cpuCheckInterval: r.num('os_mon.cpu_check_interval'),
    cpuHighWatermark: r.num('os_mon.cpu_high_watermark'),
    cpuLowWatermark: r.num('os_mon.cpu_low_watermark'),
    memCheckInterval: r.num('os_mon.mem_check_interval'),
    sysmemHighWatermark: r.num('os_mon.sysmem_high_watermark'),
    procmemHighWatermark: r.num('os_mon.procmem_high_watermark'),
  };
}

export function buildVmMon(r: Reader): VmMonConfig {
  return {
    checkInterval: r.num('vm_mon.check_interval'),
    processHighWatermark: r.num('vm_mon.process_high_watermark'),
    processLowWatermark: r.num('vm_mon.process_low_watermark'),
  };
}

export function buildAlarm(r: Reader): AlarmConfig {
  return {
    actions: r.strs('alarm.actions'),
    sizeLimit: r.num('alarm.size_limit'),
    validityPeriod: r.num('alarm.validity_period'),
  };
}
