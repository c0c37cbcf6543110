import { NS } from './namespaces.js';
import { el, type OperationHandler, range, tx } from './onvif-context.js';
import { faults } from './soap.js';
import { IMAGING_RANGE, ImagingSettings, IrCutFilterMode, VIDEO_SOURCE_TOKEN } from './state.js';
import { child, childText, type XmlElement } from './xml.js';

/** Imaging service (ONVIF Imaging Service Specification, timg, ver20). */

function requireSource(op: XmlElement): void {
  const token = childText(op, NS.timg, 'VideoSourceToken');
  if (token !== VIDEO_SOURCE_TOKEN)
    throw faults.invalidArgVal('NoSource', `no video source "${token ?? ''}"`);
}

function settingsXml(s: ImagingSettings): string {
  // Element order follows tt:ImagingSettings20.
  return el(
    'timg:ImagingSettings',
    tx('tt:Brightness', s.brightness) +
      tx('tt:ColorSaturation', s.colorSaturation) +
      tx('tt:Contrast', s.contrast) +
      tx('tt:IrCutFilter', s.irCutFilter) +
      tx('tt:Sharpness', s.sharpness) +
      el('tt:WideDynamicRange', tx('tt:Mode', s.wideDynamicRange)) +
      el('tt:WhiteBalance', tx('tt:Mode', s.whiteBalance)),
  );
}

function optionsXml(): string {
  return el(
    'timg:ImagingOptions',
    range('tt:Brightness', IMAGING_RANGE) +
      range('tt:ColorSaturation', IMAGING_RANGE) +
      range('tt:Contrast', IMAGING_RANGE) +
      IrCutFilterMode.options.map((m) => tx('tt:IrCutFilterModes', m)).join('') +
      range('tt:Sharpness', IMAGING_RANGE) +
      el('tt:WideDynamicRange', tx('tt:Mode', 'ON') + tx('tt:Mode', 'OFF')) +
      el('tt:WhiteBalance', tx('tt:Mode', 'AUTO') + tx('tt:Mode', 'MANUAL')),
  );
}

function setImagingSettings(op: XmlElement, ctx: Parameters<OperationHandler>[1]): string {
  requireSource(op);
  const s = child(op, NS.timg, 'ImagingSettings');
  if (!s) throw faults.invalidArgs('ImagingSettings is required');
  const number = (local: string) => {
    const t = childText(s, NS.tt, local);
    return t === undefined ? undefined : t === '' ? Number.NaN : Number(t);
  };
  // Only the settings present change (ONVIF Imaging §6.2.2).
  const next = ImagingSettings.safeParse({
    brightness: number('Brightness') ?? ctx.state.imaging.brightness,
    colorSaturation: number('ColorSaturation') ?? ctx.state.imaging.colorSaturation,
    contrast: number('Contrast') ?? ctx.state.imaging.contrast,
    sharpness: number('Sharpness') ?? ctx.state.imaging.sharpness,
    irCutFilter: childText(s, NS.tt, 'IrCutFilter') ?? ctx.state.imaging.irCutFilter,
    wideDynamicRange:
      childText(child(s, NS.tt, 'WideDynamicRange'), NS.tt, 'Mode') ?? ctx.state.imaging.wideDynamicRange,
    whiteBalance: childText(child(s, NS.tt, 'WhiteBalance'), NS.tt, 'Mode') ?? ctx.state.imaging.whiteBalance,
  });
  if (!next.success) {
    const issue = next.error.issues[0];
    throw faults.invalidArgVal('SettingsInvalid', `${issue?.path.join('.')}: ${issue?.message}`);
  }
  ctx.state.imaging = next.data;
  return el('timg:SetImagingSettingsResponse');
}

export const imagingOperations: Record<string, OperationHandler> = {
  GetImagingSettings: (op, ctx) => {
    requireSource(op);
    return el('timg:GetImagingSettingsResponse', settingsXml(ctx.state.imaging));
  },
  GetOptions: (op) => {
    requireSource(op);
    return el('timg:GetOptionsResponse', optionsXml());
  },
  SetImagingSettings: setImagingSettings,
};
