/** The handler of each action type. */
import type { ActionType } from "../../actions/model";
import type { ActionHandler } from "../handler";
import { userUpload } from "./user-upload";

export const handlers: Partial<Record<ActionType, ActionHandler>> = {
  user_upload: userUpload,
};
