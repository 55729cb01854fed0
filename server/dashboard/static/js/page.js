/** The script of pages without one of their own: theme switch, banner and status only. */
import { startLive } from "./live.js";

startLive();
