// The operations of the example, typed by GraphQL Code Generator: edit
// them and run `npm run codegen`; a field that the schema does not have
// fails the generation, and a result used the wrong way fails tsc.
import { graphql } from './gql/index.js';

export const SpeakerFeed = graphql(`
  query SpeakerFeed($key: String!, $first: Int!, $after: String) {
    speaker(key: $key) {
      name
      statements(first: $first, after: $after) {
        totalCount
        pageInfo { hasNextPage endCursor }
        edges {
          node {
            id
            kind
            text
            saidOn { value precision }
            dateText
            speakerRole { title }
            topics { key }
          }
        }
      }
    }
  }
`);

export const StanceMap = graphql(`
  query StanceMap($topic: String!, $asOf: PartialDate) {
    stanceMap(topic: $topic, asOf: $asOf) {
      positions {
        speaker { key name }
        stance
        summary
        asOf { value }
      }
    }
  }
`);

export const ImportStatements = graphql(`
  mutation ImportStatements($input: [StatementImport!]!, $options: ImportOptions) {
    importStatements(input: $input, options: $options) {
      created
      updated
      unchanged
      failed
      results { index status errors { path message } }
    }
  }
`);

export const StatementAdded = graphql(`
  subscription StatementAdded($filter: StatementFilter) {
    statementAdded(filter: $filter) {
      id
      text
      kind
      speaker { key name }
      saidOn { value }
    }
  }
`);
