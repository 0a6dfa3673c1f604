// The one schema of our resources. Everything else derives from it:
//   - the TypeScript types (Static<> below),
//   - ajv validation of files (./validate.ts),
//   - the CRDs in crds/ (./crd.ts, scripts/generate-crds.ts).
// Rules JSON Schema cannot say (cross-field, immutability) are CEL rules in
// `x-kubernetes-validations`, which the apiserver enforces; ./validate.ts
// enforces the same cross-field rules for files, since no apiserver sees those.
import { Type, type Static, type TSchema } from '@sinclair/typebox';
import { URL_PATTERN, UUID_PATTERN } from './patterns.ts';

export const GROUP = 'coderops.dev';
export const VERSION = 'v1alpha1';
export const API_VERSION = `${GROUP}/${VERSION}`;

/** A CEL rule for the apiserver; ajv treats the keyword as an annotation. */
interface CelRule {
  rule: string;
  message: string;
  fieldPath?: string;
  reason?: 'FieldValueInvalid' | 'FieldValueForbidden' | 'FieldValueRequired' | 'FieldValueDuplicate';
}

function cel<T extends TSchema>(schema: T, rules: CelRule[]): T {
  return { ...schema, 'x-kubernetes-validations': rules };
}

/** Coder's workspace name rule (codersdk/name.go, NameValid). */
export const WORKSPACE_NAME_PATTERN = '^[a-zA-Z0-9]+(?:-[a-zA-Z0-9]+)*$';
export const WORKSPACE_NAME_MAX = 32;
export const RESERVED_WORKSPACE_NAMES = ['new', 'create'] as const;

/** A Go duration: one or more <number><unit>, e.g. 8h, 90m, 1h30m, 0s. */
export const DURATION_PATTERN = '^([0-9]+(\\.[0-9]+)?(ns|us|µs|ms|s|m|h))+$';

/** A Kubernetes object name (RFC 1123 subdomain). */
export const K8S_NAME_PATTERN = '^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$';
/** A Kubernetes namespace (RFC 1123 label). */
export const DNS_LABEL_PATTERN = '^[a-z0-9]([-a-z0-9]*[a-z0-9])?$';
/**
 * A URL with a user name or password before the host (`http://bob:secret@host`).
 * Refused: the password would be shown wherever the URL is (errors, status,
 * state files). RE2 and JavaScript read it alike, for CEL and for files.
 */
export const URL_USERINFO_PATTERN = '^[a-zA-Z][a-zA-Z0-9+.-]*://[^/?#]*@';

/** Messages of the cross-field CEL rules; ./validate.ts reports the same words for files. */
export const CEL_MESSAGES = {
  exactlyOneTemplate: 'exactly one of template and templateVersion must be set',
  autostartNeedsSchedule: 'autostart needs a schedule, or enabled: false to turn it off',
  autostartOffTakesNothing: 'autostart with enabled: false takes no schedule or timezone',
  secretNamespaceForbidden:
    'tokenSecretRef.namespace is only for a ClusterCoderConnection; a CoderConnection reads the Secret from its own namespace',
  secretNamespaceRequired: 'a ClusterCoderConnection must say which namespace tokenSecretRef is in',
  stoppedWithAutostart:
    'running: false conflicts with an autostart schedule (Coder would start the workspace at every schedule); ' +
    'set autostart to {enabled: false} or drop running',
  runningWhileDormant: 'running: true conflicts with dormant: true (Coder never runs a dormant workspace); drop one of them',
  runningWithTtl:
    'running: true conflicts with a non-zero ttl (Coder would stop the workspace when it runs out); set ttl: 0s or drop running',
  versionActiveTakesNothing: 'version with policy Active takes no name or id',
  versionPinnedNeedsOne: 'version with policy Pinned needs exactly one of name and id',
  pinnedWithAutomaticUpdates:
    "version policy Pinned conflicts with automaticUpdates: always (Coder's autostart would move the workspace to the active " +
    'version and the operator would move it back, every day); drop automaticUpdates: always (or set it to never), ' +
    'or drop the Pinned version',
  ownerName: 'owner must be a Coder username (1-32 ASCII letters and digits, single hyphens between them) or a user UUID',
  organizationName: 'organization must be a Coder organization name (1-32 ASCII letters and digits, single hyphens between them) or a UUID',
  templateName: 'template must be a Coder template name (1-32 ASCII letters and digits, single hyphens between them)',
  urlUserInfo: 'url must not contain a user name or password (user:password@host); the token belongs in tokenSecretRef',
} as const;

/**
 * Coder checks usernames, organization and template names with its
 * workspace name rule; ./coder-names.ts is the same for files, with reasons.
 */
function coderNameRule(uuidToo: boolean, message: string): CelRule {
  const reserved = RESERVED_WORKSPACE_NAMES.map((n) => `'${n}'`).join(', ');
  const name = `size(self) <= ${WORKSPACE_NAME_MAX} && self.matches('${WORKSPACE_NAME_PATTERN}') && !(self in [${reserved}])`;
  return { rule: uuidToo ? `self.matches('${UUID_PATTERN}') || (${name})` : name, message };
}

const ConnectionRef = Type.Object(
  {
    kind: Type.Union([Type.Literal('CoderConnection'), Type.Literal('ClusterCoderConnection')], {
      default: 'CoderConnection',
      description: 'CoderConnection (same namespace) or ClusterCoderConnection.',
    }),
    name: Type.String({ minLength: 1, maxLength: 253, description: 'Name of the connection.' }),
  },
  { additionalProperties: false, description: 'Which Coder deployment and credentials to use.' },
);

const Autostart = cel(
  Type.Object(
    {
      enabled: Type.Optional(Type.Boolean({ description: 'false turns autostart off; a schedule must then be absent.' })),
      schedule: Type.Optional(
        Type.String({
          minLength: 1,
          maxLength: 256,
          description: 'Cron "minute hour * * weekdays", e.g. "30 9 * * 1-5". Day-of-month and month must be *.',
        }),
      ),
      timezone: Type.Optional(
        Type.String({ minLength: 1, maxLength: 64, description: 'IANA time zone, e.g. Europe/Berlin. Default UTC.' }),
      ),
    },
    { additionalProperties: false, description: 'When Coder starts the workspace.' },
  ),
  [
    {
      rule: '(has(self.enabled) && !self.enabled) || has(self.schedule)',
      message: CEL_MESSAGES.autostartNeedsSchedule,
    },
    {
      rule: '!(has(self.enabled) && !self.enabled) || (!has(self.schedule) && !has(self.timezone))',
      message: CEL_MESSAGES.autostartOffTakesNothing,
    },
  ],
);

const Parameter = Type.Object(
  {
    name: Type.String({ minLength: 1, maxLength: 256 }),
    value: Type.String({ maxLength: 65536 }),
  },
  { additionalProperties: false },
);

/** A zero Go duration (0s, 0m, 0h0m, 0.0s): what turns auto-stop off. */
// [.] rather than an escaped dot: the pattern also goes into a CEL string literal.
export const ZERO_DURATION_PATTERN = '^(0+([.]0+)?(ns|us|µs|ms|s|m|h))+$';

const WorkspaceVersion = cel(
  Type.Object(
    {
      policy: Type.Union([Type.Literal('Active'), Type.Literal('Pinned')], {
        description: "Active: follow the template's active version. Pinned: stay on the version named by name or id.",
      }),
      name: Type.Optional(Type.String({ minLength: 1, maxLength: 64, description: 'Template version name (Pinned).' })),
      id: Type.Optional(Type.String({ pattern: UUID_PATTERN, maxLength: 36, description: 'Template version UUID (Pinned).' })),
    },
    {
      additionalProperties: false,
      description:
        'The template version the workspace should be on; ' +
        'changing it updates the workspace with a build (see spec.rollout on the connection).',
    },
  ),
  [
    { rule: "self.policy != 'Active' || (!has(self.name) && !has(self.id))", message: CEL_MESSAGES.versionActiveTakesNothing },
    { rule: "self.policy != 'Pinned' || (has(self.name) != has(self.id))", message: CEL_MESSAGES.versionPinnedNeedsOne },
  ],
);

const SharingRole = Type.Union([Type.Literal('use'), Type.Literal('admin')], {
  description: 'use: connect to and use the workspace; admin: also change its settings and sharing.',
});

/** One user or group of spec.sharing; a name appears once per list (workspace-rules.ts). */
const SharingEntry = (what: string) =>
  Type.Object(
    {
      name: Type.String({ minLength: 1, maxLength: 64, description: `${what} name or UUID.` }),
      role: SharingRole,
    },
    { additionalProperties: false },
  );

const WorkspaceSharing = Type.Object(
  {
    users: Type.Optional(
      Type.Array(SharingEntry('Coder username'), {
        maxItems: 256,
        description: 'Users the workspace is shared with. Absent: none.',
      }),
    ),
    groups: Type.Optional(
      Type.Array(SharingEntry("Group (in the workspace's organization)"), {
        maxItems: 256,
        description: 'Groups the workspace is shared with. Absent: none.',
      }),
    ),
  },
  {
    additionalProperties: false,
    description:
      "The workspace's whole ACL (Coder's workspace sharing): entries not listed are removed. Absent: not managed. " +
      'Needs Coder v2.27.0 or later with the workspace-sharing experiment.',
  },
);

const workspaceSpecFields = {
  connectionRef: Type.Optional(ConnectionRef),
  owner: cel(Type.String({ minLength: 1, maxLength: 64, description: 'Coder username or user UUID. Immutable.' }), [
    { rule: 'self == oldSelf', message: 'owner is immutable' },
    coderNameRule(true, CEL_MESSAGES.ownerName),
  ]),
  organization: Type.Optional(
    cel(
      Type.String({
        minLength: 1,
        maxLength: 64,
        description: "Organization name or UUID. Default: the deployment's default organization. Immutable.",
      }),
      [{ rule: 'self == oldSelf', message: 'organization is immutable' }, coderNameRule(true, CEL_MESSAGES.organizationName)],
    ),
  ),
  name: Type.Optional(
    Type.String({
      minLength: 1,
      maxLength: WORKSPACE_NAME_MAX,
      pattern: WORKSPACE_NAME_PATTERN,
      description: 'Coder workspace name. Default: metadata.name. Changing it renames the workspace.',
    }),
  ),
  template: Type.Optional(
    cel(
      Type.String({
        minLength: 1,
        maxLength: 64,
        description: 'Template name in the organization. Exactly one of template and templateVersion. Immutable.',
      }),
      [{ rule: 'self == oldSelf', message: 'template is immutable' }, coderNameRule(false, CEL_MESSAGES.templateName)],
    ),
  ),
  templateVersion: Type.Optional(
    cel(
      Type.String({
        pattern: UUID_PATTERN,
        // Bounds the cost the apiserver estimates for the CEL rule below.
        maxLength: 36,
        description: 'Template version UUID. Exactly one of template and templateVersion. Immutable.',
      }),
      [{ rule: 'self == oldSelf', message: 'templateVersion is immutable' }],
    ),
  ),
  parameters: Type.Optional(
    Type.Array(Parameter, {
      maxItems: 256,
      description: 'Rich parameter values passed at create.',
    }),
  ),
  autostart: Type.Optional(Autostart),
  ttl: Type.Optional(
    Type.String({
      pattern: DURATION_PATTERN,
      maxLength: 64,
      description: 'Auto-stop after this long (Go duration, 1m to 720h, whole minutes); 0s turns it off.',
    }),
  ),
  dormant: Type.Optional(Type.Boolean({ description: 'Whether the workspace is dormant.' })),
  favorite: Type.Optional(Type.Boolean({ description: "Whether the workspace is on its owner's favorites." })),
  automaticUpdates: Type.Optional(
    Type.Union([Type.Literal('always'), Type.Literal('never')], {
      description: 'Whether starts use the active template version.',
    }),
  ),
  preset: Type.Optional(
    Type.String({
      minLength: 1,
      maxLength: 128,
      description:
        'A preset of the template version, by name: sent as template_version_preset_id at create and with every build. ' +
        'A different preset on the latest build (or none) is an update to the same version, rolled out like a new version. ' +
        'Absent: not managed (no build for it).',
    }),
  ),
  sharing: Type.Optional(WorkspaceSharing),
  deletionPolicy: Type.Optional(
    Type.Union([Type.Literal('Delete'), Type.Literal('Orphan')], {
      description: "What deleting the resource does to the Coder workspace. Default: the operator's flag (Orphan).",
    }),
  ),
  suspend: Type.Optional(Type.Boolean({ description: 'Pause reconciliation.' })),
  running: Type.Optional(
    Type.Boolean({
      description:
        'true: keep the workspace started; false: keep it stopped (a start made by hand is undone at the next reconcile). ' +
        'Absent: not managed.',
    }),
  ),
  version: Type.Optional(WorkspaceVersion),
  managementPolicies: Type.Optional(
    Type.Array(Type.Union([Type.Literal('*'), Type.Literal('Observe')]), {
      minItems: 1,
      maxItems: 1,
      description: '["*"] (default): manage the workspace. ["Observe"]: read and report status and drift, never write to Coder.',
    }),
  ),
};

const workspaceSpecRules: CelRule[] = [
  {
    rule: '!(has(self.running) && !self.running && has(self.autostart) && !(has(self.autostart.enabled) && !self.autostart.enabled))',
    message: CEL_MESSAGES.stoppedWithAutostart,
    fieldPath: '.running',
  },
  {
    rule: '!(has(self.running) && self.running && has(self.dormant) && self.dormant)',
    message: CEL_MESSAGES.runningWhileDormant,
    fieldPath: '.running',
  },
  {
    rule: `!(has(self.running) && self.running && has(self.ttl) && !self.ttl.matches('${ZERO_DURATION_PATTERN}'))`,
    message: CEL_MESSAGES.runningWithTtl,
    fieldPath: '.running',
  },
  {
    rule: "!(has(self.version) && self.version.policy == 'Pinned' && has(self.automaticUpdates) && self.automaticUpdates == 'always')",
    message: CEL_MESSAGES.pinnedWithAutomaticUpdates,
    fieldPath: '.automaticUpdates',
  },
  {
    rule: 'has(self.template) != has(self.templateVersion)',
    message: CEL_MESSAGES.exactlyOneTemplate,
  },
  {
    rule: 'has(self.template) == has(oldSelf.template) && has(self.templateVersion) == has(oldSelf.templateVersion)',
    message: 'template and templateVersion cannot be added or removed after creation',
  },
  {
    rule: 'has(self.organization) == has(oldSelf.organization)',
    message: 'organization cannot be added or removed after creation',
  },
];

export const WorkspaceSpec = cel(Type.Object(workspaceSpecFields, { additionalProperties: false }), workspaceSpecRules);

export const Condition = Type.Object({
  type: Type.String({ minLength: 1, maxLength: 316 }),
  status: Type.Union([Type.Literal('True'), Type.Literal('False'), Type.Literal('Unknown')]),
  observedGeneration: Type.Optional(Type.Integer({ minimum: 0 })),
  lastTransitionTime: Type.String({ format: 'date-time' }),
  reason: Type.String({ minLength: 1, maxLength: 1024, pattern: '^[A-Za-z]([A-Za-z0-9_,:]*[A-Za-z0-9_])?$' }),
  message: Type.String({ maxLength: 32768 }),
});

const LatestBuild = Type.Object({
  number: Type.Integer(),
  transition: Type.String(),
  status: Type.String(),
});

export const ROLLOUT_STATES = [
  'UpToDate',
  'Updating',
  'WaitingForWindow',
  'WaitingForStop',
  'WaitingForSlot',
  'WaitingForIdle',
  'WaitingForStep',
  'Halted',
  'Blocked',
  'Failed',
  'RollingBack',
  'RolledBack',
] as const;

export const RolloutStatus = Type.Object({
  state: Type.Union(
    ROLLOUT_STATES.map((s) => Type.Literal(s)),
    {
      description: 'Where the update of this workspace (template version, parameters) stands.',
    },
  ),
  message: Type.String({ maxLength: 32768 }),
  /** The template version being rolled out, when one is. */
  target: Type.Optional(Type.String()),
  /** An update stopped the running workspace; it is started again on the new version. */
  restart: Type.Optional(Type.Boolean()),
  /** The spec digest an update was already tried for: one that does not take is Failed, not retried. */
  attemptedFor: Type.Optional(Type.String()),
  /** The template version the workspace was on when its update began: where a rollback returns to. */
  from: Type.Optional(Type.String()),
  /** The latest build number when the update began: a later build is the update's (a crash before sending it leaves none). */
  afterBuild: Type.Optional(Type.Integer({ minimum: 0 })),
  /** Whether the workspace was (or was to be) running when its update began: the run state a rollback restores. */
  wasRunning: Type.Optional(Type.Boolean()),
  /** The attempt (spec digest / target version) whose build failed: not tried again while it stays the same. */
  failedFor: Type.Optional(Type.String()),
  /** The target version of that failed update: what the halt after maxFailures counts. */
  failedTarget: Type.Optional(Type.String()),
  /** The connection's resume-rollout value (CLI: --resume-rollout run) in force when the update failed. */
  failedEpoch: Type.Optional(Type.String()),
});

export const WorkspaceStatus = Type.Object({
  observedGeneration: Type.Optional(Type.Integer({ minimum: 0 })),
  conditions: Type.Optional(Type.Array(Condition)),
  id: Type.Optional(Type.String()),
  name: Type.Optional(Type.String({ description: 'The Coder workspace name as last observed.' })),
  url: Type.Optional(Type.String()),
  ownerID: Type.Optional(Type.String()),
  organizationID: Type.Optional(Type.String()),
  templateID: Type.Optional(Type.String()),
  latestBuild: Type.Optional(LatestBuild),
  autostart: Type.Optional(Type.String({ description: 'Autostart schedule as Coder stores it; empty when off.' })),
  ttl: Type.Optional(Type.String({ description: 'Auto-stop TTL as a duration; 0s when off.' })),
  dormant: Type.Optional(Type.Boolean()),
  favorite: Type.Optional(Type.Boolean()),
  automaticUpdates: Type.Optional(Type.String()),
  presetID: Type.Optional(Type.String({ description: "The latest build's template_version_preset_id; absent when the build has none." })),
  nextAutostart: Type.Optional(Type.String({ format: 'date-time' })),
  nextStartAt: Type.Optional(
    Type.String({ format: 'date-time', description: "Coder's next_start_at: when its scheduler starts the workspace next." }),
  ),
  lastUsedAt: Type.Optional(
    Type.String({ format: 'date-time', description: "Coder's last_used_at: the last connection, app or SSH session." }),
  ),
  dormantAt: Type.Optional(Type.String({ format: 'date-time', description: 'When the workspace went dormant.' })),
  deletingAt: Type.Optional(Type.String({ format: 'date-time', description: 'When Coder deletes the dormant workspace.' })),
  health: Type.Optional(
    Type.Object({
      healthy: Type.Boolean({ description: 'Every agent of the workspace is healthy (true without agents).' }),
      failingAgents: Type.Optional(Type.Array(Type.String(), { maxItems: 64, description: 'Ids of the agents that are not.' })),
    }),
  ),
  sharing: Type.Optional(
    Type.Object(
      {
        users: Type.Array(Type.Object({ name: Type.String(), role: Type.String() })),
        groups: Type.Array(Type.Object({ name: Type.String(), role: Type.String() })),
      },
      { description: 'The workspace ACL as last read (only while spec.sharing is set).' },
    ),
  ),
  lastSyncTime: Type.Optional(Type.String({ format: 'date-time' })),
  lastDrift: Type.Optional(Type.Array(Type.String(), { description: 'Fields changed out of band and corrected.' })),
  running: Type.Optional(Type.Boolean({ description: 'Whether the latest build is a start that succeeded.' })),
  version: Type.Optional(
    Type.Object({
      current: Type.String({ description: 'Template version id of the latest build.' }),
      currentName: Type.Optional(Type.String()),
      wanted: Type.Optional(Type.String({ description: 'Template version id spec.version names.' })),
      wantedName: Type.Optional(Type.String()),
      outdated: Type.Boolean({ description: "Coder's outdated: the latest build is not on the template's active version." }),
    }),
  ),
  rollout: Type.Optional(RolloutStatus),
  scheduleConflict: Type.Optional(
    Type.Object({
      message: Type.String(),
      /** The spec (generation, or a digest in the CLI) whose wish was already restored once. */
      restoredFor: Type.Optional(Type.String()),
    }),
  ),
  /** The build whose parameters were last read and found matching this spec digest. */
  parametersChecked: Type.Optional(Type.Object({ build: Type.String(), spec: Type.String() })),
  lastHandledReconcileAt: Type.Optional(Type.String({ description: 'The value of coderops.dev/reconcile-requested-at last acted on.' })),
});

const ObjectMeta = Type.Object(
  {
    name: Type.String({
      minLength: 1,
      maxLength: 253,
      pattern: K8S_NAME_PATTERN,
    }),
    namespace: Type.Optional(Type.String({ minLength: 1, maxLength: 63, pattern: DNS_LABEL_PATTERN })),
    labels: Type.Optional(Type.Record(Type.String(), Type.String())),
    annotations: Type.Optional(Type.Record(Type.String(), Type.String())),
    generation: Type.Optional(Type.Integer()),
    uid: Type.Optional(Type.String()),
    resourceVersion: Type.Optional(Type.String()),
    finalizers: Type.Optional(Type.Array(Type.String())),
    deletionTimestamp: Type.Optional(Type.String()),
  },
  // Kubernetes owns metadata's full shape; we read only the fields above.
  { additionalProperties: true },
);

/** One of our kinds as the API server holds it: apiVersion, kind, metadata, spec and an optional status, nothing else. */
function resource<K extends string, Spec extends TSchema, Status extends TSchema>(kind: K, spec: Spec, status: Status) {
  return Type.Object(
    { apiVersion: Type.Literal(API_VERSION), kind: Type.Literal(kind), metadata: ObjectMeta, spec, status: Type.Optional(status) },
    { additionalProperties: false },
  );
}

export const WorkspaceResource = resource('Workspace', WorkspaceSpec, WorkspaceStatus);

const SecretKeyRef = Type.Object(
  {
    name: Type.String({ minLength: 1, maxLength: 253 }),
    key: Type.String({ minLength: 1, maxLength: 253, default: 'token' }),
    namespace: Type.Optional(Type.String({ minLength: 1, maxLength: 63, description: 'Only for ClusterCoderConnection.' })),
  },
  { additionalProperties: false },
);

const connectionSpecFields = {
  url: Type.String({
    minLength: 1,
    maxLength: 2048,
    pattern: URL_PATTERN,
    description: 'Base URL of the Coder deployment, without user:password@.',
  }),
  tokenSecretRef: SecretKeyRef,
  requestsPerMinute: Type.Optional(
    Type.Integer({
      minimum: 1,
      maximum: 100000,
      description: 'Client-side rate limit per path; default 400, below the server default of 512.',
    }),
  ),
  bypassRateLimit: Type.Optional(Type.Boolean({ description: 'Send X-Coder-Bypass-Ratelimit (the token must belong to a site Owner).' })),
  rollout: Type.Optional(
    Type.Object(
      {
        maxUnavailable: Type.Optional(
          Type.Integer({ minimum: 1, maximum: 100000, description: 'Workspaces of this connection updated at once. Default 10.' }),
        ),
        window: Type.Optional(
          Type.Object(
            {
              schedule: Type.String({ minLength: 1, maxLength: 256, description: 'Cron of the window openings, e.g. "0 22 * * 1-5".' }),
              duration: Type.String({
                pattern: DURATION_PATTERN,
                maxLength: 64,
                description: 'How long the window stays open (Go duration).',
              }),
              timezone: Type.Optional(Type.String({ minLength: 1, maxLength: 64, description: 'IANA time zone. Default UTC.' })),
            },
            {
              additionalProperties: false,
              description: 'Disruptive builds (restarting a running workspace) start only inside this window.',
            },
          ),
        ),
        onlyWhenStopped: Type.Optional(
          Type.Boolean({ description: 'Update only workspaces that are not running (e.g. after their auto-stop).' }),
        ),
        onlyWhenIdle: Type.Optional(
          Type.String({
            pattern: DURATION_PATTERN,
            maxLength: 64,
            description:
              "Restart a running workspace for an update only when Coder's last_used_at is older than this (Go duration, e.g. 30m).",
          }),
        ),
        maxFailures: Type.Optional(
          Type.Integer({
            minimum: 1,
            maximum: 100000,
            description:
              'Failed updates to one template version after which its rollout halts (until the wanted version changes or ' +
              'the annotation coderops.dev/resume-rollout gets a new value). Default 1.',
          }),
        ),
        rollbackOnFailure: Type.Optional(
          Type.Boolean({
            description: 'Bring a workspace whose update failed back to its previous version and run state. Default true.',
          }),
        ),
        steps: Type.Optional(
          Type.Array(
            // One object with either field (a union would not be a structural schema for the apiserver).
            cel(
              Type.Object(
                {
                  count: Type.Optional(
                    Type.Integer({ minimum: 1, maximum: 1000000, description: 'Workspaces on the version after this step.' }),
                  ),
                  percent: Type.Optional(
                    Type.Integer({
                      minimum: 1,
                      maximum: 100,
                      description: 'Share of the fleet on the version after this step (rounded up).',
                    }),
                  ),
                },
                { additionalProperties: false },
              ),
              [{ rule: 'has(self.count) != has(self.percent)', message: 'a step has either count or percent' }],
            ),
            {
              minItems: 1,
              maxItems: 20,
              description:
                'Canary steps, cumulative (e.g. [{count: 5}, {percent: 25}, {percent: 100}]): a step begins only when every ' +
                'workspace of the previous one is on the version, its build succeeded and Coder reports it healthy.',
            },
          ),
        ),
        pause: Type.Optional(
          Type.String({ pattern: DURATION_PATTERN, maxLength: 64, description: 'How long to wait between two steps (Go duration).' }),
        ),
      },
      { additionalProperties: false, description: 'How template version and parameter updates roll out.' },
    ),
  ),
};

export const ConnectionStatus = Type.Object({
  observedGeneration: Type.Optional(Type.Integer({ minimum: 0 })),
  conditions: Type.Optional(Type.Array(Condition)),
  version: Type.Optional(Type.String()),
  renamesAllowed: Type.Optional(Type.Boolean()),
  rollout: Type.Optional(
    Type.Object({
      upToDate: Type.Integer({ minimum: 0 }),
      updating: Type.Integer({ minimum: 0 }),
      waiting: Type.Integer({ minimum: 0 }),
      blocked: Type.Integer({ minimum: 0 }),
      failed: Type.Integer({ minimum: 0 }),
      /** Waiting because the rollout of their target version halted. */
      halted: Type.Optional(Type.Integer({ minimum: 0 })),
      /** Failed updates brought back to their previous version and run state. */
      rolledBack: Type.Optional(Type.Integer({ minimum: 0 })),
      /** Template versions whose rollout halted after maxFailures failed updates. */
      haltedVersions: Type.Optional(
        Type.Array(Type.Object({ version: Type.String(), failures: Type.Integer({ minimum: 0 }) }), { maxItems: 100 }),
      ),
    }),
  ),
});

/**
 * On the spec, not on spec.url: the apiserver quotes a string field's value in
 * the error of a rule on that field (seen on 1.36), which would print the
 * password; for a rule on an object it prints only "object".
 */
const URL_WITHOUT_USERINFO = { rule: `!self.url.matches('${URL_USERINFO_PATTERN}')`, message: CEL_MESSAGES.urlUserInfo };

export const CoderConnectionSpec = cel(Type.Object(connectionSpecFields, { additionalProperties: false }), [
  { rule: '!has(self.tokenSecretRef.namespace)', message: CEL_MESSAGES.secretNamespaceForbidden },
  URL_WITHOUT_USERINFO,
]);

const OwnerRule = Type.Object(
  {
    namespaceSelector: Type.Optional(
      Type.Object(
        {
          matchLabels: Type.Optional(Type.Record(Type.String(), Type.String())),
          matchNames: Type.Optional(Type.Array(Type.String({ minLength: 1 }))),
        },
        { additionalProperties: false },
      ),
    ),
    owners: Type.Array(Type.String({ minLength: 1 }), {
      minItems: 1,
      description: 'Coder usernames allowed as owners in the selected namespaces; "*" allows every owner.',
    }),
  },
  { additionalProperties: false },
);

export const ClusterCoderConnectionSpec = cel(
  Type.Object(
    {
      ...connectionSpecFields,
      allow: Type.Optional(
        Type.Array(OwnerRule, {
          description: 'Which namespaces may use this connection and for which owners. Empty: nobody (default deny).',
        }),
      ),
    },
    { additionalProperties: false },
  ),
  // A cluster-scoped object has no namespace of its own to default to.
  [{ rule: 'has(self.tokenSecretRef.namespace)', message: CEL_MESSAGES.secretNamespaceRequired }, URL_WITHOUT_USERINFO],
);

export const CoderConnectionResource = resource('CoderConnection', CoderConnectionSpec, ConnectionStatus);

export const ClusterCoderConnectionResource = resource('ClusterCoderConnection', ClusterCoderConnectionSpec, ConnectionStatus);

/** What a WorkspaceSet's `name` and `metadata.name` may say in place of the member's username. */
export const USERNAME_PLACEHOLDER = '{{username}}';
// [{] and [}]: the pattern also goes to the apiserver (RE2), where both read it alike.
const PLACEHOLDER_PATTERN = '[{][{]username[}][}]';

/**
 * A schema without its transition rules (those that read oldSelf): a
 * WorkspaceSet's template may change what a Workspace may not; the children
 * then say whether they can follow.
 */
function withoutTransitionRules<T extends TSchema>(schema: T): T {
  const { 'x-kubernetes-validations': rules, ...rest } = schema as T & { 'x-kubernetes-validations'?: CelRule[] };
  const kept = (rules ?? []).filter((r) => !r.rule.includes('oldSelf'));
  return (kept.length > 0 ? { ...rest, 'x-kubernetes-validations': kept } : rest) as T;
}

const { owner: _memberIsTheOwner, ...memberSpecFields } = workspaceSpecFields;

/** The Workspace spec a WorkspaceSet stamps per member: no owner (the member is one), and `name` may hold {{username}}. */
const WorkspaceSetTemplateSpec = cel(
  Type.Object(
    {
      ...memberSpecFields,
      organization: withoutTransitionRules(memberSpecFields.organization),
      template: withoutTransitionRules(memberSpecFields.template),
      templateVersion: withoutTransitionRules(memberSpecFields.templateVersion),
      name: Type.Optional(
        Type.String({
          minLength: 1,
          maxLength: 64,
          pattern: `^([a-zA-Z0-9]|${PLACEHOLDER_PATTERN})+(-([a-zA-Z0-9]|${PLACEHOLDER_PATTERN})+)*$`,
          description:
            "Coder workspace name of every child; {{username}} stands for the member's username. A result longer than " +
            "32 characters is shortened, ending in a hash of the username. Default: the child's metadata.name.",
        }),
      ),
    },
    { additionalProperties: false },
  ),
  workspaceSpecRules.filter((r) => !r.rule.includes('oldSelf')),
);

/** What one `list` element may set for its member alone, over the template's spec. */
export const MemberOverrides = Type.Object(
  {
    name: memberSpecFields.name,
    parameters: Type.Optional(
      Type.Array(Parameter, {
        maxItems: 256,
        description: "Parameters for this member; each replaces the template's parameter of the same name, the others stay.",
      }),
    ),
    autostart: memberSpecFields.autostart,
    ttl: memberSpecFields.ttl,
    dormant: memberSpecFields.dormant,
    favorite: memberSpecFields.favorite,
    automaticUpdates: memberSpecFields.automaticUpdates,
    running: memberSpecFields.running,
    version: memberSpecFields.version,
    suspend: memberSpecFields.suspend,
    deletionPolicy: memberSpecFields.deletionPolicy,
    managementPolicies: memberSpecFields.managementPolicies,
  },
  { additionalProperties: false, description: "Fields of this member's Workspace spec that differ from the template's." },
);

const generatorOrganization = Type.Optional(
  cel(
    Type.String({
      minLength: 1,
      maxLength: 64,
      description: "Organization name or UUID. Default: the deployment's default organization.",
    }),
    [coderNameRule(true, CEL_MESSAGES.organizationName)],
  ),
);

const UsersGenerator = Type.Object(
  {
    query: Type.Optional(
      Type.String({
        minLength: 1,
        maxLength: 1024,
        description: "A Coder user search query, e.g. 'status:active' or 'status:active login_type:oidc'. Default: every user.",
      }),
    ),
    organization: Type.Optional(
      cel(Type.String({ minLength: 1, maxLength: 64, description: 'Only members of this organization (name or UUID).' }), [
        coderNameRule(true, CEL_MESSAGES.organizationName),
      ]),
    ),
    exclude: Type.Optional(
      Type.Array(Type.String({ minLength: 1, maxLength: 64 }), {
        maxItems: 1000,
        description: 'Usernames never to stamp a workspace for (compared without regard to case).',
      }),
    ),
  },
  { additionalProperties: false, description: "Coder's user list: one paginated read per refresh." },
);

const GroupGenerator = Type.Object(
  {
    name: Type.String({ minLength: 1, maxLength: 255, description: 'The Coder group name.' }),
    organization: generatorOrganization,
  },
  {
    additionalProperties: false,
    description: 'The members of a Coder group (a Premium feature: a server without it is a GroupsUnavailable error, never no members).',
  },
);

const ListElement = Type.Object(
  {
    // A pattern, not a CEL rule: the apiserver costs a rule once per element, and 10,000
    // elements of it exceeded the CRD's validation budget (the CRD was refused).
    username: Type.String({
      minLength: 1,
      maxLength: WORKSPACE_NAME_MAX,
      pattern: WORKSPACE_NAME_PATTERN,
      description: 'A Coder username (1-32 ASCII letters and digits, single hyphens between them).',
    }),
    overrides: Type.Optional(MemberOverrides),
  },
  { additionalProperties: false },
);

const ListGenerator = Type.Object(
  {
    elements: Type.Array(ListElement, { maxItems: 10000, description: 'The members, each with its own overrides.' }),
  },
  { additionalProperties: false, description: 'Members named explicitly; no Coder read.' },
);

// One property per generator: minProperties/maxProperties hold in ajv and in
// the apiserver alike, with no CEL rule to keep in step.
const Generator = Type.Object(
  {
    users: Type.Optional(UsersGenerator),
    group: Type.Optional(GroupGenerator),
    list: Type.Optional(ListGenerator),
  },
  { additionalProperties: false, minProperties: 1, maxProperties: 1, description: 'Exactly one of users, group and list.' },
);

const SYNC_POLICIES = ['createOnly', 'createUpdate', 'createDelete'] as const;

export const WorkspaceSetSpec = Type.Object(
  {
    generators: Type.Array(Generator, {
      minItems: 1,
      maxItems: 16,
      description: 'Where the members come from; their union is the membership (a username found twice counts once).',
    }),
    template: Type.Object(
      {
        metadata: Type.Optional(
          Type.Object(
            {
              name: Type.Optional(
                Type.String({
                  minLength: 1,
                  maxLength: 253,
                  pattern: `^([a-z0-9]|${PLACEHOLDER_PATTERN})([-a-z0-9.]|${PLACEHOLDER_PATTERN})*$`,
                  description:
                    "Each child's metadata.name; {{username}} stands for the member's username (lowercased). " +
                    'Default: <set name>-{{username}}.',
                }),
              ),
              labels: Type.Optional(Type.Record(Type.String(), Type.String())),
              annotations: Type.Optional(Type.Record(Type.String(), Type.String())),
            },
            { additionalProperties: false },
          ),
        ),
        spec: WorkspaceSetTemplateSpec,
      },
      { additionalProperties: false, description: 'Stamped once per member into a child Workspace owned by the set.' },
    ),
    syncPolicy: Type.Optional(
      Type.Union(
        SYNC_POLICIES.map((p) => Type.Literal(p)),
        {
          default: 'createUpdate',
          description:
            'createOnly: only create children. createUpdate (default): create and update, never remove. ' +
            "createDelete: also remove the child of a member who left (its Coder workspace then follows the child's deletionPolicy, default Orphan).",
        },
      ),
    ),
    maxRemovals: Type.Optional(
      Type.Integer({
        minimum: 0,
        maximum: 100000,
        default: 10,
        description: 'A pass that would remove more children than this is held until the limit is raised or the removal acknowledged.',
      }),
    ),
    refreshInterval: Type.Optional(
      Type.String({ pattern: DURATION_PATTERN, maxLength: 64, description: 'How often the members are read again (Go duration).' }),
    ),
  },
  { additionalProperties: false },
);

export const WorkspaceSetStatus = Type.Object({
  observedGeneration: Type.Optional(Type.Integer({ minimum: 0 })),
  conditions: Type.Optional(Type.Array(Condition)),
  members: Type.Optional(Type.Integer({ minimum: 0, description: 'Members the last successful expansion found.' })),
  children: Type.Optional(Type.Integer({ minimum: 0, description: 'Child Workspaces the set owns.' })),
  ready: Type.Optional(Type.Integer({ minimum: 0 })),
  updating: Type.Optional(Type.Integer({ minimum: 0 })),
  failed: Type.Optional(Type.Integer({ minimum: 0 })),
  lastMembers: Type.Optional(
    Type.Integer({ minimum: 0, description: 'Members of the last expansion that was acted on: an empty one after this is held.' }),
  ),
  lastRefreshTime: Type.Optional(Type.String({ format: 'date-time' })),
});

export const WorkspaceSetResource = resource('WorkspaceSet', WorkspaceSetSpec, WorkspaceSetStatus);

// The TypeScript types, one per schema (TypeBox's Static): one line each, nothing to share.
export type WorkspaceSpec = Static<typeof WorkspaceSpec>;
export type WorkspaceStatus = Static<typeof WorkspaceStatus>;
export type Workspace = Static<typeof WorkspaceResource>;
export type Condition = Static<typeof Condition>;
export type AutostartSpec = Static<typeof Autostart>;
export type CoderConnection = Static<typeof CoderConnectionResource>;
export type ClusterCoderConnection = Static<typeof ClusterCoderConnectionResource>;
export type DeletionPolicy = NonNullable<WorkspaceSpec['deletionPolicy']>;
export type RolloutStatus = Static<typeof RolloutStatus>;
export type RolloutState = RolloutStatus['state'];
export type RolloutPolicy = NonNullable<Static<typeof CoderConnectionSpec>['rollout']>;
export type WorkspaceVersionSpec = Static<typeof WorkspaceVersion>;
export type MemberOverrides = Static<typeof MemberOverrides>;
export type WorkspaceSetGenerator = Static<typeof Generator>;
export type WorkspaceSetSpec = Static<typeof WorkspaceSetSpec>;
export type WorkspaceSetStatus = Static<typeof WorkspaceSetStatus>;
export type WorkspaceSet = Static<typeof WorkspaceSetResource>;
export type SyncPolicy = (typeof SYNC_POLICIES)[number];
