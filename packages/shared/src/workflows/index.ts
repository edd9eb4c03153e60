export * from './working-days.js';
export * from './request.js';
export * from './review-kit.js';
export * from './breach.js';
export * from './person.js';
export * from './records.js';
