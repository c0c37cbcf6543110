/** Small shared renderers for enum values the API returns. */
import { Tag } from 'antd';
import type { AlertSeverity, RecorderView } from '../api/types.js';
import { useI18n } from '../i18n/index.js';

const SEVERITY_COLOR: Record<AlertSeverity, string> = { info: 'blue', warning: 'orange', critical: 'red' };

export function SeverityTag({ severity }: { severity: AlertSeverity }) {
  const { te } = useI18n();
  return <Tag color={SEVERITY_COLOR[severity] ?? 'default'}>{te('severity', severity)}</Tag>;
}

export function OfficerLabel({ officer }: { officer: { name: string; certNo: string } | null | undefined }) {
  if (!officer) return <>—</>;
  return (
    <span>
      {officer.name}
      <span style={{ color: '#888' }}> {officer.certNo}</span>
    </span>
  );
}

/** Device faults (red) and health conditions holding now (orange), e.g. battery-low. */
export function ProblemTags({ r }: { r: RecorderView }) {
  const { te } = useI18n();
  if (!r.faults.length && !r.conditions.length) return <>—</>;
  return (
    <>
      {r.faults.map((f) => (
        <Tag color="red" key={`f-${f.code}`} title={f.message}>
          {f.code}
        </Tag>
      ))}
      {r.conditions.map((c) => (
        <Tag
          color={c.startsWith('battery-critical') ? 'red' : 'orange'}
          key={c}
          data-testid={`condition-${r.serial}-${c}`}
        >
          {te('rule', c)}
        </Tag>
      ))}
    </>
  );
}
