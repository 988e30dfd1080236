/**
 * The Standard Schema v1 interface (https://standardschema.dev), copied as the spec asks of
 * libraries that accept schemas, so that rlm depends on no schema library: Zod 3.24+ and 4,
 * Valibot 1 and ArkType 2 implement it. `StandardJSONSchemaV1` is the spec's companion by which a
 * schema states itself as JSON Schema; rlm only reads it when a vendor offers it.
 */
/* eslint-disable @typescript-eslint/no-namespace -- the spec's own shape, so `StandardSchemaV1.InferOutput<S>` reads as its users know it */

/**
 * A schema any Standard Schema library made.
 *
 * @example
 * ```ts
 * import { z } from 'zod';
 * const schema: StandardSchemaV1<unknown, { name: string }> = z.object({ name: z.string() });
 * ```
 */
export interface StandardSchemaV1<Input = unknown, Output = Input> {
  /** The Standard Schema properties. */
  readonly '~standard': StandardSchemaV1.Props<Input, Output>;
}

/** The types of {@link StandardSchemaV1}, as the spec names them. */
export declare namespace StandardSchemaV1 {
  /** The Standard Schema properties interface. */
  export interface Props<Input = unknown, Output = Input> {
    /** The version number of the standard. */
    readonly version: 1;
    /** The vendor name of the schema library. */
    readonly vendor: string;
    /** Validates unknown input values. */
    readonly validate: (value: unknown, options?: Options | undefined) => Result<Output> | Promise<Result<Output>>;
    /** Inferred types associated with the schema. */
    readonly types?: Types<Input, Output> | undefined;
  }
  /** The result interface of the validate function. */
  export type Result<Output> = SuccessResult<Output> | FailureResult;
  /** The result interface if validation succeeds. */
  export interface SuccessResult<Output> {
    /** The typed output value. */
    readonly value: Output;
    /** A falsy value for `issues` indicates success. */
    readonly issues?: undefined;
  }
  /** Options of the validate function. */
  export interface Options {
    /** Explicit support for additional vendor-specific parameters, if needed. */
    readonly libraryOptions?: Record<string, unknown> | undefined;
  }
  /** The result interface if validation fails. */
  export interface FailureResult {
    /** The issues of failed validation. */
    readonly issues: ReadonlyArray<Issue>;
  }
  /** The issue interface of the failure output. */
  export interface Issue {
    /** The error message of the issue. */
    readonly message: string;
    /** The path of the issue, if any. */
    readonly path?: ReadonlyArray<PropertyKey | PathSegment> | undefined;
  }
  /** The path segment interface of the issue. */
  export interface PathSegment {
    /** The key representing a path segment. */
    readonly key: PropertyKey;
  }
  /** The Standard types interface. */
  export interface Types<Input = unknown, Output = Input> {
    /** The input type of the schema. */
    readonly input: Input;
    /** The output type of the schema. */
    readonly output: Output;
  }
  /** Infers the input type of a Standard Schema. */
  export type InferInput<Schema extends StandardSchemaV1> = NonNullable<Schema['~standard']['types']>['input'];
  /** Infers the output type of a Standard Schema. */
  export type InferOutput<Schema extends StandardSchemaV1> = NonNullable<Schema['~standard']['types']>['output'];
}

/**
 * The Standard JSON Schema companion: a schema that can state itself as JSON Schema. Only its
 * converter is read, and only when present (Zod 4 and ArkType 2 offer it; Valibot 1 does not).
 */
export interface StandardJSONSchemaV1Converter {
  /** The JSON Schema of the values the schema accepts. Throws if the vendor cannot express it. */
  readonly input: (options: { readonly target: 'draft-2020-12' | 'draft-07' | (string & {}) }) => Record<string, unknown>;
  /** The JSON Schema of the values the schema returns (after transforms). */
  readonly output: (options: { readonly target: 'draft-2020-12' | 'draft-07' | (string & {}) }) => Record<string, unknown>;
}
