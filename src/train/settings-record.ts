/**
 * One record of settings, shared by everything that reuses a result when it was made the same way: a grid's cells
 * and TPP runs, the TPP adapters of notebooks and studies, the study's continued backbones. A record is the settings
 * and their fingerprint (settings-fingerprint.ts); checking it against the settings wanted now says `done` (same
 * fingerprint), `pending` (nothing recorded) or `changed`, with what differs (`field: old → new`).
 */
import { settingsDiff, settingsFingerprint } from './settings-fingerprint';

/** Settings and their fingerprint, as stored beside a result. */
export interface SettingsRecord {
  fingerprint: string;
  settings: Record<string, unknown>;
}

/** What is recorded against what is wanted: nothing yet, the same settings, or other ones. */
export type RecordState = 'pending' | 'done' | 'changed';

/** The state of a record, and for `changed` what differs (one `field: old → new` per leaf). */
export interface RecordCheck {
  state: RecordState;
  diff: string[];
}

/** The record of `settings`. */
export function settingsRecord(settings: Record<string, unknown>): SettingsRecord {
  return { fingerprint: settingsFingerprint(settings), settings };
}

/**
 * Check what is recorded (null: nothing) against `wanted`. A record without a fingerprint is fingerprinted from its
 * settings; one without settings (made by an older tpp-lab) is `changed` with a line saying so.
 */
export function checkRecord(recorded: { fingerprint?: unknown; settings?: unknown } | null, wanted: Record<string, unknown>, fingerprint = settingsFingerprint(wanted)): RecordCheck {
  if (!recorded) return { state: 'pending', diff: [] };
  const had = recorded.fingerprint ?? (recorded.settings !== undefined ? settingsFingerprint(recorded.settings) : undefined);
  if (had === fingerprint) return { state: 'done', diff: [] };
  if (recorded.settings === undefined || recorded.settings === null) return { state: 'changed', diff: ['settings: none recorded (made by an older tpp-lab) → recorded'] };
  return { state: 'changed', diff: settingsDiff(recorded.settings, wanted) };
}
