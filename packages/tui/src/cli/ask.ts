import type { Answers, Question } from '../avenant-form.js';

/**
 * Asks questions one by one on the terminal (@inquirer/prompts), the interface's dialogs'
 * questions as prompts: text with its check, or a choice; `follow` adds the questions an
 * answer opens, asked next.
 */
export async function askQuestions(first: Question[], follow: (question: Question, value: string) => Question[]): Promise<Answers> {
  const { input, select } = await import('@inquirer/prompts');
  const answers: Answers = {};
  const queue = [...first];
  for (let question = queue.shift(); question !== undefined; question = queue.shift()) {
    const { label, choices, optional, initial, check } = question;
    const value =
      choices === undefined
        ? (
            await input({
              message: `${label} :`,
              required: optional !== true,
              ...(initial === undefined ? {} : { default: initial }),
              validate: (text) => (optional === true && text.trim() === '' ? true : (check?.(text.trim()) ?? true)),
            })
          ).trim()
        : await select({ message: `${label} :`, choices: choices.map((choice) => ({ name: choice.label, value: choice.value })) });
    answers[question.key] = value;
    queue.unshift(...follow(question, value));
  }
  return answers;
}
