import { Breaches, Questions } from './breaches.js';
import { Campaigns } from './campaigns.js';
import type { WorkflowDeps } from './deps.js';
import { PersonTraces } from './person.js';
import { Records } from './records.js';
import { Requests } from './requests.js';

export type { WorkflowDeps } from './deps.js';

/** The supervision workflows of workflows.md, over the store: each write in one transaction with its traces. */
export class Workflows {
  readonly records: Records;
  readonly questions: Questions;
  readonly requests: Requests;
  readonly breaches: Breaches;
  readonly campaigns: Campaigns;
  readonly person: PersonTraces;

  constructor(deps: WorkflowDeps) {
    this.records = new Records(deps);
    this.questions = new Questions(deps);
    this.requests = new Requests(deps, this.records, this.questions);
    this.breaches = new Breaches(deps, this.records, this.questions);
    this.campaigns = new Campaigns(deps);
    this.person = new PersonTraces(deps);
  }
}
