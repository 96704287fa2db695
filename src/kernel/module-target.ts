import type { LocalObjectReference } from "../api/meta.js";
import { DEFAULT_MODULE_DIR, type Build, type Module, type Sign, type TLSOptions } from "../api/module.js";
import { formatFieldError, invalid, required, type FieldError } from "../validation/field-error.js";
import { FieldPath } from "../validation/field-path.js";
import { parseImageReference, type ImageReference } from "../api/image-reference.js";
import { KERNEL_MAPPINGS_PATH, selectKernelMapping } from "./kernel-mapping.js";
import { kernelVariables } from "./kernel-version.js";
import { mergeBuild, mergeSign } from "./merge-build-sign.js";
import { moduleShapeErrors } from "./module-shape.js";
import { substituteVariables } from "./substitute.js";

// What a Module means for one kernel: the kernel mapping that applies, merged with the
// container-level settings, with variables substituted. This is what the image, build and sign
// stages check.

export interface ModuleTarget {
  /** The kernel as given (raw, not normalised): the directory name under `lib/modules/`. */
  readonly kernel: string;
  /** Index of the selected entry in `spec.moduleLoader.container.kernelMappings`. */
  readonly mappingIndex: number;
  /** Substituted (kernel variables, MOD_NAME, MOD_NAMESPACE) and parsed without error. */
  readonly containerImage: string;
  readonly imageReference: ImageReference;
  /** The mapping's when set (even `{}`), else the container's, else `{}`. */
  readonly registryTLS: TLSOptions;
  /** `modprobe.moduleName`; "" when unset (a Module using only `rawArgs`). */
  readonly moduleName: string;
  /** `modprobe.dirName`. @default "/opt" (also when empty) */
  readonly dirName: string;
  /** Merged build section, when the container or the mapping has one. */
  readonly build?: Build;
  /** Merged sign section, `unsignedImage` and `filesToSign` substituted (kernel variables only). */
  readonly sign?: Sign;
  readonly imageRepoSecret?: LocalObjectReference;
}

export type ModuleTargetResult =
  | { readonly ok: true; readonly target: ModuleTarget }
  | {
      readonly ok: false;
      /** What is wrong and what to fix, with field paths where a field is at fault. */
      readonly reason: string;
      /** The field errors behind `reason`, when fields of the Module are at fault. */
      readonly errors?: readonly FieldError[];
      /** True when there is nothing to validate (no moduleLoader): not a failure of the Module. */
      readonly skip?: true;
    };

type Obj = Record<string, unknown>;

const SPEC_PATH = FieldPath.root("spec");
const CONTAINER_PATH = SPEC_PATH.child("moduleLoader", "container");

const fail = (errors: FieldError[]): ModuleTargetResult => ({ ok: false, reason: errors.map(formatFieldError).join("; "), errors });

/** Substitutes `template` and reports a failure as an Invalid error at `path`. */
function substituteAt(template: string, vars: Readonly<Record<string, string>>, path: FieldPath, errors: FieldError[]): string {
  const r = substituteVariables(template, vars);
  if (r.ok) return r.value;
  errors.push(invalid(path, template, r.error));
  return template;
}

/**
 * Resolves what `module` asks for on `kernel`: selects the kernel mapping (on the raw kernel),
 * merges it with the container level, substitutes variables and parses the container image.
 * Never throws, whatever the shape of `module`.
 */
export function resolveModuleTarget(module: Module, kernel: string): ModuleTargetResult {
  const loader = module?.spec?.moduleLoader;
  if (loader == null) return { ok: false, reason: "Module has no moduleLoader: nothing to validate", skip: true };
  const container = loader.container;
  if (container == null) return fail([required(CONTAINER_PATH, "a moduleLoader needs a container with modprobe and kernelMappings")]);

  const selected = selectKernelMapping(container.kernelMappings, kernel, KERNEL_MAPPINGS_PATH);
  if (!selected.ok) {
    if (selected.error) return { ok: false, reason: selected.reason, errors: [selected.error] };
    return {
      ok: false,
      reason: `${selected.reason}; add an entry to ${KERNEL_MAPPINGS_PATH} whose literal equals ${kernel} or whose regexp matches it`,
    };
  }
  const { index, mapping } = selected;
  const mappingPath = KERNEL_MAPPINGS_PATH.index(index);
  const shape = moduleShapeErrors(module.spec as unknown as Obj, container as unknown as Obj, mapping as unknown as Obj, { spec: SPEC_PATH, container: CONTAINER_PATH, mapping: mappingPath });
  if (shape.length) return fail(shape);

  const kv = kernelVariables(kernel);
  if (!kv.ok) return { ok: false, reason: kv.error };
  const name = module.metadata?.name ?? "";
  const namespace = module.metadata?.namespace ?? "";
  const imageVars = { ...kv.vars, MOD_NAME: name, MOD_NAMESPACE: namespace };

  const errors: FieldError[] = [];

  // containerImage: the mapping's unless empty, then the container's.
  const fromMapping = !!mapping.containerImage;
  const imageTemplate = (fromMapping ? mapping.containerImage : container.containerImage) ?? "";
  const imagePath = (fromMapping ? mappingPath : CONTAINER_PATH).child("containerImage");
  let imageReference: ImageReference | undefined;
  let containerImage = "";
  if (!imageTemplate) {
    errors.push(required(mappingPath.child("containerImage"), `set containerImage on this kernel mapping or on ${CONTAINER_PATH}`));
  } else {
    const before = errors.length;
    containerImage = substituteAt(imageTemplate, imageVars, imagePath, errors);
    if (errors.length === before) {
      const parsed = parseImageReference(containerImage);
      if (parsed.ok) imageReference = parsed.ref;
      else {
        const what = containerImage === imageTemplate ? "is" : `gives ${JSON.stringify(containerImage)}, which is`;
        errors.push(invalid(imagePath, imageTemplate, `${what} not a valid image reference: ${parsed.errors.join("; ")}`));
      }
    }
  }

  const sign = mergeSign(container.sign, mapping.sign);
  if (sign) {
    // unsignedImage and filesToSign know only the kernel variables.
    if (sign.unsignedImage) {
      const from = mapping.sign?.unsignedImage ? mappingPath : CONTAINER_PATH;
      sign.unsignedImage = substituteAt(sign.unsignedImage, kv.vars, from.child("sign", "unsignedImage"), errors);
    }
    // A sign section on only one side is taken whole, so its files all come from that side.
    const fromContainer = container.sign != null ? (container.sign.filesToSign ?? []).length : 0;
    sign.filesToSign = (sign.filesToSign ?? []).map((f, i) => {
      const path = i < fromContainer ? CONTAINER_PATH.child("sign", "filesToSign").index(i) : mappingPath.child("sign", "filesToSign").index(i - fromContainer);
      return substituteAt(f, kv.vars, path, errors);
    });
  }

  if (errors.length || !imageReference) return fail(errors);

  const modprobe = container.modprobe;
  const registryTLS = mapping.registryTLS ?? container.registryTLS ?? {};
  const build = mergeBuild(container.build, mapping.build);
  const imageRepoSecret = module.spec.imageRepoSecret;
  return {
    ok: true,
    target: {
      kernel,
      mappingIndex: index,
      containerImage,
      imageReference,
      registryTLS: structuredClone(registryTLS),
      moduleName: modprobe?.moduleName ?? "",
      dirName: modprobe?.dirName || DEFAULT_MODULE_DIR,
      ...(build && { build }),
      ...(sign && { sign }),
      ...(imageRepoSecret != null && { imageRepoSecret: structuredClone(imageRepoSecret) }),
    },
  };
}
