/**
 * Opening an original (R24): asks why, then plays it or offers the download from `urlFor(reason)`.
 * The server logs who opened what and why before a byte leaves (an office's clips, or central's
 * archived originals).
 */
import { DownloadOutlined } from '@ant-design/icons';
import { Button, Input, Space, Typography } from 'antd';
import { useState } from 'react';
import { useI18n } from '../i18n/index.js';

export function ReasonedAccess({
  name,
  action,
  urlFor,
}: {
  /** What the download link names (the clip id). */
  name: string;
  action: 'view' | 'download';
  urlFor(reason: string): string;
}) {
  const { t } = useI18n();
  const [reason, setReason] = useState<string | null>(null);
  const [draft, setDraft] = useState('');
  const url = reason ? urlFor(reason) : null;
  if (!url)
    return (
      <Space direction="vertical" style={{ width: '100%' }}>
        <Typography.Text>{t('clips.accessLogged')}</Typography.Text>
        <Input.TextArea
          rows={2}
          value={draft}
          onChange={(e) => setDraft(e.target.value)}
          placeholder={t('clips.reason')}
          data-testid="access-reason"
        />
        <Button
          type="primary"
          disabled={draft.trim().length < 2}
          onClick={() => setReason(draft.trim())}
          data-testid="access-confirm"
        >
          {action === 'view' ? t('clips.play') : t('clips.download')}
        </Button>
      </Space>
    );
  return action === 'view' ? (
    // biome-ignore lint/a11y/useMediaCaption: original evidence recordings carry no caption track
    <video
      src={url}
      controls
      autoPlay
      style={{ width: '100%', maxHeight: '70vh', background: '#000' }}
      data-testid="clip-video"
    />
  ) : (
    // The server names the file (.mp4, or .mov for a camera's G.711 kept as sent).
    <a href={url} download data-testid="clip-download">
      <DownloadOutlined /> {t('clips.download')} {name}
    </a>
  );
}
