import type { Answers, Question } from '../avenant-form.js';
import { whileAsking } from './interrupt.js';

/** @inquirer's key tip is English (« ↑↓ navigate • ⏎ select »): its actions in French. */
const KEY_ACTIONS: Readonly<Record<string, string>> = { navigate: 'choisir', select: 'valider' };
const SELECT_THEME = {
  style: { keysHelpTip: (keys: [string, string][]) => keys.map(([key, action]) => `${key} ${KEY_ACTIONS[action] ?? action}`).join(' • ') },
};

/**
 * Asks questions one by one on the terminal (@inquirer/prompts), the interface's dialogs'
 * questions as prompts: text with its check, or a choice; `follow` adds the questions an
 * answer opens, asked next. An empty answer is refused here, not by the prompt's `required`,
 * whose refusal is English (« You must provide a value »).
 */
export async function askQuestions(first: Question[], follow: (question: Question, value: string) => Question[]): Promise<Answers> {
  const { input, select } = await import('@inquirer/prompts');
  const answers: Answers = {};
  const queue = [...first];
  for (let question = queue.shift(); question !== undefined; question = queue.shift()) {
    const { label, choices, optional, initial, check } = question;
    const validate = (given: string): string | true => {
      const text = given.trim();
      if (text === '') return optional === true ? true : 'réponse obligatoire';
      return check?.(text) ?? true;
    };
    const value = await whileAsking(async () =>
      choices === undefined
        ? (await input({ message: `${label} :`, ...(initial === undefined ? {} : { default: initial }), validate })).trim()
        : await select({ message: `${label} :`, choices: choices.map((choice) => ({ name: choice.label, value: choice.value })), theme: SELECT_THEME }),
    );
    answers[question.key] = value;
    queue.unshift(...follow(question, value));
  }
  return answers;
}
