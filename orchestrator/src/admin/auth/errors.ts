// The problem helpers admin handlers use; one module serves both APIs (http/problem.ts).
export { httpErrorsAsProblems, routeProblem } from '../../http/problem.js';
