/**
 * Clips (R22, R24, R25): search with upload state and the 24 h deadline, one clip's metadata, and
 * its original bytes with HTTP Range (the dashboard's <video> seeks), every view and download
 * logged with who and why. There is no route that edits or deletes a clip (R25).
 */

import type { ArchivedCopy } from '../../archive/service.js';
import {
  assertMayDownload,
  assertMayRead,
  CLIP_READERS,
  CLIP_SUPERVISORS,
  type HearingOwner,
  isSupervisor,
  mayRead,
  scopeSearch,
} from '../../clips/access.js';
import type { ClipService } from '../../clips/service.js';
import { ClipSearchQuery, ContentQuery } from '../../clips/view.js';
import type { AuditLog, ClipRecord } from '../../store/index.js';
import type { Api } from '../server.js';

export interface ClipRouteDeps {
  clips: ClipService;
  /** Who started a hearing session (hearing staff see their own hearings' clips). */
  hearingOwner?: HearingOwner;
  /** For a clip's custody trail (ingest, release, accesses) shown to supervisors. */
  audit?: () => AuditLog;
  /** Where and when the central archive took the clip's original (archive/service.ts). */
  archived?: (clipId: string) => Promise<ArchivedCopy | undefined>;
}

/** A clip's place in the central archive as the clip view shows it (null: not archived yet). */
export type ClipArchiveView = ReturnType<typeof archiveView>;

function archiveView(copy: ArchivedCopy | undefined, evicted: ClipRecord['evicted']) {
  if (!copy) return null;
  return {
    at: copy.at,
    bucket: copy.bucket,
    key: copy.key,
    versionId: copy.versionId,
    retainUntil: copy.retainUntil,
    legalHold: copy.legalHold,
    /** When the local original was evicted (then it is served from the archive). */
    evictedAt: evicted?.at ?? null,
  };
}

export function clipRoutes(api: Api, d: ClipRouteDeps): void {
  const { clips, hearingOwner } = d;

  api.route(
    { method: 'get', path: '/api/clips', roles: CLIP_READERS, query: ClipSearchQuery },
    async ({ user, query }) => {
      const q = await scopeSearch(user, query, hearingOwner);
      const out = [];
      for (const v of await clips.search(q)) {
        if (isSupervisor(user) || (await mayRead(user, v, hearingOwner))) out.push(v);
      }
      return out;
    },
  );

  api.route(
    { method: 'get', path: '/api/clips/summary', roles: CLIP_READERS, query: ClipSearchQuery },
    async ({ user, query }) => clips.summary(await scopeSearch(user, query, hearingOwner)),
  );

  api.route({ method: 'get', path: '/api/clips/:clipId', roles: CLIP_READERS }, async ({ user, params }) => {
    const r = await clips.get(params.clipId ?? '');
    await assertMayRead(user, r, hearingOwner);
    const view = { ...clips.view(r), archive: archiveView(await d.archived?.(r.clipId), r.evicted) };
    if (!isSupervisor(user) || !d.audit) return view;
    return { ...view, custody: await d.audit().bySubject(`clip:${r.clipId}`, { limit: 500 }) };
  });

  api.route(
    { method: 'get', path: '/api/clips/:clipId/content', roles: CLIP_READERS, query: ContentQuery },
    async ({ user, params, query, c }) => {
      const r = await clips.get(params.clipId ?? '');
      await assertMayRead(user, r, hearingOwner);
      if (query.action === 'download') assertMayDownload(user, r);
      const range = c.req.header('range');
      const out = await clips.content(r.clipId, {
        actor: user.username,
        // The role under which the clip is opened (R24: access by post).
        role: (user.roles.find((r) => CLIP_SUPERVISORS.includes(r)) ??
          user.roles.find((r) => CLIP_READERS.includes(r)))!,
        action: query.action,
        reason: query.reason,
        ...(range ? { range } : {}),
      });
      return new Response(out.body, { status: out.status, headers: out.headers });
    },
  );
}
