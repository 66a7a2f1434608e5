// The public GraphQL API, beside the portal on the same origin, with the subject's token.

const ENDPOINT = new URL("../../graphql", import.meta.url);

export class ApiError extends Error {
  constructor(message, code) {
    super(message);
    this.code = code;
  }
}

export class Api {
  constructor(token) {
    this.token = token;
  }

  // The answer's data; a refusal (any error) raises ApiError with its code.
  async run(query, variables = {}) {
    const response = await fetch(ENDPOINT, {
      method: "POST",
      headers: {
        "Content-Type": "application/json",
        Accept: "application/graphql-response+json, application/json",
        Authorization: `Bearer ${this.token}`,
      },
      body: JSON.stringify({ query, variables }),
    });
    let body;
    try {
      body = await response.json();
    } catch {
      throw new ApiError(`HTTP ${response.status}`, "NETWORK");
    }
    if (body.errors && body.errors.length) {
      const first = body.errors[0];
      throw new ApiError(first.message, (first.extensions && first.extensions.code) || "ERROR");
    }
    return body.data;
  }
}
