/**
 * One case (R9–R13): its facts, stage with history, and its timeline — every session, hearing,
 * interruption with its explanation, export and stage change in order on the gateway's clock,
 * each recording session one item with its coverage. Printable (case.css, @media print).
 */
import {
  App,
  Button,
  Card,
  Descriptions,
  Empty,
  Form,
  Input,
  Modal,
  Progress,
  Select,
  Space,
  Steps,
  Tag,
  Typography,
} from 'antd';
import { useState } from 'react';
import {
  CASE_STAGES,
  type CaseRecord,
  type CaseStage,
  casesApi,
  type TimelineItem,
} from '../../api/cases.js';
import { ApiErrorView } from '../../components/ApiErrorView.js';
import { type Translate, useI18n } from '../../i18n/index.js';
import { Link } from '../../router.js';
import { fmtBytes, fmtDuration, fmtTime } from '../../time.js';
import { useApi } from '../../useApi.js';
import { useUser } from '../../user.js';
import './case.css';
import { CaseFormModal } from './CaseFormModal.js';
import { STAGE_COLOR } from './labels.js';

type Te = (prefix: string, value: string | null | undefined) => string;
type Name = (id: string | null | undefined) => string;
interface RowProps {
  item: TimelineItem;
  t: Translate;
  te: Te;
  name: Name;
}

export default function CasePage({ caseKey }: { caseKey: string }) {
  const { t, te } = useI18n();
  const me = useUser();
  const c = useApi(() => casesApi.get(caseKey), [caseKey]);
  const tl = useApi(() => casesApi.timeline(caseKey), [caseKey], {
    refetchOn: ['interruption.updated', 'export.changed', 'hearing.changed'],
    debounceMs: 500,
  });
  const [editing, setEditing] = useState(false);
  const [moving, setMoving] = useState(false);
  const rec = c.data;
  // Display names, not account or officer ids (the timeline carries them for the case too).
  const names = tl.data?.names ?? {};
  const name: Name = (u) => (u ? (names[u] ?? u) : '');
  const mayEdit =
    rec &&
    (me.roles.includes('legal-affairs') ||
      (me.roles.includes('officer') && rec.officers.includes(me.username)));
  return (
    <div className="case-page">
      <div className="no-print" style={{ marginBottom: 12 }}>
        <Link to="/cases">← {t('case.back')}</Link>
      </div>
      <ApiErrorView error={c.error} api="GET /api/cases/:caseNo" />
      {rec && (
        <Card
          title={
            <span data-testid="case-title">
              {rec.caseNo} {rec.title}
            </span>
          }
          extra={
            <Space className="no-print">
              {mayEdit && <Button onClick={() => setEditing(true)}>{t('cases.edit')}</Button>}
              {mayEdit && (
                <Button type="primary" onClick={() => setMoving(true)} data-testid="case-move">
                  {t('cases.moveStage')}
                </Button>
              )}
              <Button onClick={() => window.print()} data-testid="case-print">
                {t('case.print')}
              </Button>
            </Space>
          }
        >
          <Descriptions size="small" column={{ xs: 1, md: 3 }} bordered>
            <Descriptions.Item label={t('cases.type')}>{te('caseType', rec.type)}</Descriptions.Item>
            <Descriptions.Item label={t('cases.unit')}>{rec.unit}</Descriptions.Item>
            <Descriptions.Item label={t('cases.stage')}>
              <Tag color={STAGE_COLOR[rec.stage]}>{te('stage', rec.stage)}</Tag>
            </Descriptions.Item>
            <Descriptions.Item label={t('cases.officers')}>
              {rec.officers.map(name).join('、') || '—'}
            </Descriptions.Item>
            <Descriptions.Item label={t('cases.parties')} span={2}>
              {rec.parties.join('、') || '—'}
            </Descriptions.Item>
          </Descriptions>
          <Steps
            size="small"
            style={{ marginTop: 20 }}
            current={CASE_STAGES.indexOf(rec.stage)}
            items={CASE_STAGES.map((s) => ({ title: te('stage', s) }))}
          />
        </Card>
      )}
      <Card
        title={t('case.timeline')}
        style={{ marginTop: 16 }}
        extra={
          tl.data && (
            <Typography.Text type="secondary">
              {t('case.generated', { at: fmtTime(tl.data.generatedAt) })}
            </Typography.Text>
          )
        }
      >
        <ApiErrorView error={tl.error} api="GET /api/cases/:caseNo/timeline" />
        {tl.data && tl.data.items.length === 0 && <Empty description={t('case.timeline.none')} />}
        <ol className="case-timeline" data-testid="case-timeline">
          {(tl.data?.items ?? []).map((item) => (
            <TimelineRow key={itemKey(item)} item={item} t={t} te={te} name={name} />
          ))}
        </ol>
      </Card>
      {editing && rec && (
        <CaseFormModal
          existing={rec}
          onClose={(saved) => {
            setEditing(false);
            if (saved) c.reload();
          }}
        />
      )}
      {moving && rec && (
        <StageModal
          rec={rec}
          onClose={(saved) => {
            setMoving(false);
            if (saved) {
              c.reload();
              tl.reload();
            }
          }}
        />
      )}
    </div>
  );
}

function itemKey(i: TimelineItem): string {
  switch (i.kind) {
    case 'stage':
      return `stage-${i.at}-${i.stage}`;
    case 'session':
      return `session-${i.serial}-${i.sessionId}`;
    case 'hearing':
      return `hearing-${i.hearingId}`;
    default:
      return `${i.kind}-${i.id}`;
  }
}

const KIND_CLASS: Record<TimelineItem['kind'], string> = {
  stage: 'tl-stage',
  session: 'tl-session',
  hearing: 'tl-hearing',
  interruption: 'tl-interruption',
  export: 'tl-export',
};

function TimelineRow({ item, t, te, name }: RowProps) {
  return (
    <li className={`tl-item ${KIND_CLASS[item.kind]}`} data-testid={`tl-${item.kind}`}>
      <div className="tl-time">
        {fmtTime(item.at, 'YYYY-MM-DD HH:mm:ss')}
        {item.end !== null && item.kind !== 'stage' && item.kind !== 'export' && (
          <div className="tl-until">→ {fmtTime(item.end, 'HH:mm:ss')}</div>
        )}
      </div>
      <div className="tl-body">
        <ItemBody item={item} t={t} te={te} name={name} />
      </div>
    </li>
  );
}

function CoverageBar({ ratio, t }: { ratio: number | null; t: Translate }) {
  if (ratio === null) return null;
  const pct = Math.round(ratio * 1000) / 10;
  return (
    <div className="tl-coverage">
      <span>{t('tl.coverage')}</span>
      <Progress
        percent={pct}
        size="small"
        showInfo={false}
        status={pct >= 99 ? 'success' : pct >= 90 ? 'normal' : 'exception'}
        style={{ width: 200, margin: 0 }}
      />
      <span data-testid="tl-coverage">{pct}%</span>
    </div>
  );
}

function ItemBody({ item, t, te, name }: RowProps) {
  switch (item.kind) {
    case 'stage':
      return (
        <>
          <strong>{t('tl.stage', { stage: te('stage', item.stage) })}</strong>
          <Typography.Text type="secondary"> — {name(item.by)}</Typography.Text>
          {item.note && <div>{item.note}</div>}
        </>
      );
    case 'session':
      return (
        <>
          <strong>{t('tl.session', { serial: item.serial })}</strong>{' '}
          {item.activity && <Tag>{te('activity', item.activity)}</Tag>}
          {item.stage && <Tag color={STAGE_COLOR[item.stage]}>{te('stage', item.stage)}</Tag>}
          <Typography.Text type="secondary">
            {' '}
            {item.officer ? `${item.officer.name}（${item.officer.certNo}）` : ''} ·{' '}
            {fmtDuration(item.end !== null ? item.end - item.at : null, t)}
          </Typography.Text>
          <div>
            {t('tl.clips', {
              n: item.clips.count,
              verified: item.clips.verified,
              pending: item.clips.pending,
              overdue: item.clips.overdue,
              quarantined: item.clips.quarantined,
            })}{' '}
            · {fmtBytes(item.clips.bytes)}
          </div>
          <CoverageBar ratio={item.coverage.ratio} t={t} />
          {item.flags.length > 0 && (
            <div>
              {item.flags.map((f) => (
                <Tag key={f} color="red">
                  {te('flag', f)}
                </Tag>
              ))}
            </div>
          )}
          {item.clockOffsetMs !== null && item.clockOffsetMs !== 0 && (
            <div className="tl-note">
              {t('tl.clock', {
                s: Math.round(item.clockOffsetMs / 1000),
                device: fmtTime(item.deviceStart, 'HH:mm:ss'),
              })}
            </div>
          )}
          <div className="tl-note">
            {item.link?.via === 'link'
              ? t('tl.linkedBy', { by: name(item.link.by), at: fmtTime(item.link.at, 'MM-DD HH:mm') })
              : t('tl.stamped')}
          </div>
        </>
      );
    case 'hearing':
      return (
        <>
          <strong>{t('tl.hearing', { room: item.roomName ?? item.roomId })}</strong>{' '}
          <Tag>{te('activity', item.activity)}</Tag>
          {item.stage && <Tag color={STAGE_COLOR[item.stage]}>{te('stage', item.stage)}</Tag>}
          <Typography.Text type="secondary"> {name(item.startedBy)}</Typography.Text>
          <div>{t('tl.segments', { n: item.segments, lead: item.leadIns, cameras: item.cameras })}</div>
          <CoverageBar ratio={item.coverage.ratio} t={t} />
        </>
      );
    case 'interruption':
      return (
        <>
          <strong>{t('tl.interruption', { cause: te('cause', item.cause) })}</strong>{' '}
          <Tag color={item.status === 'closed' ? 'green' : item.status === 'open' ? 'red' : 'gold'}>
            {te('status', item.status)}
          </Tag>
          <Typography.Text type="secondary">
            {' '}
            {item.device} · {t('tl.heldBy')} {item.officer?.name ?? (name(item.heldBy) || '—')}
          </Typography.Text>
          {item.explanation && (
            <div className="tl-quote">
              {t('tl.explanation')}：{item.explanation.text}
              <Typography.Text type="secondary"> — {name(item.explanation.author)}</Typography.Text>
            </div>
          )}
          {item.review && (
            <div className="tl-note">
              {t('tl.review')}：{name(item.review.by)} {fmtTime(item.review.at, 'MM-DD HH:mm')}{' '}
              {item.review.note ?? ''}
            </div>
          )}
          {item.closure && (
            <div className="tl-note">
              {t('tl.closure')}：{name(item.closure.by)} {fmtTime(item.closure.at, 'MM-DD HH:mm')}{' '}
              {item.closure.note ?? ''}
            </div>
          )}
        </>
      );
    case 'export':
      return (
        <>
          <strong>{t('tl.export', { state: te('exports.state', item.state) })}</strong>
          <div>
            {item.purpose} · {t('tl.requestedBy', { by: item.requestedBy })}
            {item.decidedBy && ` · ${t('tl.decidedBy', { by: item.decidedBy })}`}
          </div>
        </>
      );
  }
}

function StageModal({ rec, onClose }: { rec: CaseRecord; onClose(saved: boolean): void }) {
  const { t, te } = useI18n();
  const { message } = App.useApp();
  const [form] = Form.useForm<{ stage: CaseStage; note?: string }>();
  const [busy, setBusy] = useState(false);
  const next = CASE_STAGES[Math.min(CASE_STAGES.indexOf(rec.stage) + 1, CASE_STAGES.length - 1)];
  const submit = async (v: { stage: CaseStage; note?: string }) => {
    setBusy(true);
    try {
      await casesApi.moveStage(rec.key, v.stage, v.note?.trim());
      message.success(t('cases.moveStage.ok', { stage: te('stage', v.stage) }));
      onClose(true);
    } catch (e) {
      message.error(t('common.error', { msg: (e as Error).message }));
    } finally {
      setBusy(false);
    }
  };
  return (
    <Modal
      open
      title={`${t('cases.moveStage')} ${rec.caseNo}`}
      onCancel={() => onClose(false)}
      onOk={() => form.submit()}
      okText={t('common.submit')}
      cancelText={t('common.cancel')}
      okButtonProps={{ loading: busy, id: 'stage-submit' }}
    >
      <Form form={form} layout="vertical" onFinish={submit} initialValues={{ stage: next }}>
        <Form.Item name="stage" label={t('cases.stage')}>
          <Select
            options={CASE_STAGES.filter((s) => s !== rec.stage).map((s) => ({
              value: s,
              label: te('stage', s),
            }))}
          />
        </Form.Item>
        <Form.Item name="note" label={t('cases.moveStage.note')}>
          <Input.TextArea rows={3} maxLength={500} />
        </Form.Item>
      </Form>
    </Modal>
  );
}
