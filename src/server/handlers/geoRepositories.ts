import { type Handler, jsonAnswer } from '../serverContext.js';

/** GET /api/v4/internal/geo/repositories (node credential): what a secondary replicates. */
export const listRepositories: Handler = async (_request, _params, _record, context) =>
  jsonAnswer(200, { repositories: [...context.site.repositories].map(([glRepository, path]) => ({ gl_repository: glRepository, path })) });
